using Comet.Admin.Api;
using Comet.Gateway.Metrics;
using Microsoft.Extensions.Logging;

namespace Comet.Admin.Silos;

/// <summary>
/// This silo's <see cref="ISiloAdminService"/>. Drain and stop only start the work and answer:
/// both end with this service stopping, which a call still running inside it would wait for.
/// </summary>
public sealed class SiloAdminService : GrainService, ISiloAdminService
{
    /// <summary>Time for the answer to reach the caller before the host starts to stop.</summary>
    private static readonly TimeSpan StopDelay = TimeSpan.FromMilliseconds(200);

    private readonly SiloAdmin _admin;
    private readonly OperationMetrics _metrics;
    private readonly IClusterMembershipService _membership;

    public SiloAdminService(GrainId grainId, Silo silo, ILoggerFactory loggerFactory, SiloAdmin admin, OperationMetrics metrics, IClusterMembershipService membership)
        : base(grainId, silo, loggerFactory)
    {
        _admin = admin;
        _metrics = metrics;
        _membership = membership;
    }

    public Task<LocalSiloAnswer> DescribeAsync() => Task.FromResult(ClusterEndpoints.Describe(_admin, _membership));

    public Task<MetricsAnswer> MetricsAsync(int window) => Task.FromResult(MetricsEndpoints.Local(_metrics, window, activations: null));

    public Task<SiloActionAnswer> DrainAsync()
    {
        var already = _admin.HasLeft;
        _ = _admin.DrainAsync();
        return Task.FromResult(already
            ? new SiloActionAnswer(_admin.Name, "drain", _admin.State, "The silo was already leaving.")
            : new SiloActionAnswer(_admin.Name, "drain", "draining", "The silo is leaving the ring; its grains deactivate and write their state."));
    }

    public Task<SiloActionAnswer> StopAsync()
    {
        var started = _admin.RequestStop(StopDelay);
        return Task.FromResult(new SiloActionAnswer(_admin.Name, "stop", "stopping",
            started ? SiloControlEndpoints.StoppingMessage : "The silo is already stopping."));
    }
}
