using Comet.Admin.Api;
using Orleans.Services;

namespace Comet.Admin.Silos;

/// <summary>
/// The admin API's reach into one particular silo: every silo runs this grain service, and any
/// silo's admin API calls the one on the silo a request names (<see cref="ISiloAdminClient"/>).
/// It carries what only that silo knows (its HTTP address, state, operation metrics) and the
/// drain and stop an operator asks of it. Silo-to-silo only: clients never see it.
/// </summary>
[Alias("comet.admin.ISiloAdminService")]
public interface ISiloAdminService : IGrainService
{
    [Alias("describe")]
    Task<LocalSiloAnswer> DescribeAsync();

    /// <summary>This silo's metrics over the last <paramref name="window"/> seconds (without the cluster aggregate).</summary>
    [Alias("metrics")]
    Task<MetricsAnswer> MetricsAsync(int window);

    /// <summary>Starts the drain and answers at once (the drain stops this very service).</summary>
    [Alias("drain")]
    Task<SiloActionAnswer> DrainAsync();

    /// <summary>Starts a clean stop of the silo's host and answers at once.</summary>
    [Alias("stop")]
    Task<SiloActionAnswer> StopAsync();
}

/// <summary>Calls <see cref="ISiloAdminService"/> on a chosen silo.</summary>
public interface ISiloAdminClient : IGrainServiceClient<ISiloAdminService>
{
    ISiloAdminService On(SiloAddress silo);
}
