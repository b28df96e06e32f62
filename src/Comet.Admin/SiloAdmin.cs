using Comet.Gateway.Security;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Comet.Admin;

/// <summary>
/// The admin API's view of the silo it runs in: its name, its state (<c>running</c>,
/// <c>draining</c>, <c>drained</c>, <c>stopping</c>) and the two things an operator can ask of
/// it. <see cref="DrainAsync"/> stops the Orleans silo gracefully inside its still-running web
/// host: membership marks it shutting down (the ring drops it at once), every activation
/// deactivates and writes its state, then it is dead; the HTTP port keeps answering
/// <c>/admin/silo</c> so an operator can watch before stopping it. <see cref="RequestStop"/>
/// stops the whole host through <see cref="StopHost"/>, which the host sets (the local cluster
/// stops only this silo).
/// </summary>
public sealed partial class SiloAdmin
{
    private readonly IServiceProvider _services;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private Task? _drain;
    private int _stopping;

    /// <summary>Resolving this touches no Orleans service, so a host can set <see cref="StopHost"/> before the silo starts.</summary>
    public SiloAdmin(IServiceProvider services, TimeProvider time, ILogger<SiloAdmin> logger)
    {
        ArgumentNullException.ThrowIfNull(time);
        _services = services;
        _logger = logger;
        StartedAt = time.GetUtcNow();
    }

    private ILocalSiloDetails Details => _services.GetRequiredService<ILocalSiloDetails>();

    public string Name => Details.Name;

    public SiloAddress Address => Details.SiloAddress;

    /// <summary>When the silo's host was built (it starts right after).</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>How the host stops this silo. Null: <see cref="IHostApplicationLifetime.StopApplication"/> (a host run with RunAsync ends).</summary>
    public Func<Task>? StopHost { get; set; }

    public bool IsStopping => Volatile.Read(ref _stopping) != 0;

    /// <summary>Whether the Orleans silo inside this host has begun to leave (drain or stop): grain calls from here fail from now on.</summary>
    public bool HasLeft => IsStopping || Volatile.Read(ref _drain) is not null;

    public string State => IsStopping ? "stopping"
        : Volatile.Read(ref _drain) is { } drain ? (drain.IsCompleted ? "drained" : "draining")
        : "running";

    /// <summary>The silo's HTTP address (REST, admin, dashboards), or null when it serves no HTTP.</summary>
    public string? HttpAddress =>
        _services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();

    /// <summary>Starts the drain once and returns it (a second call gets the first one's task).</summary>
    public Task DrainAsync()
    {
        lock (_lock)
        {
            return _drain ??= Task.Run(DrainOnceAsync);
        }
    }

    private async Task DrainOnceAsync()
    {
        LogDraining(_logger, Name);
        // The key store's refresh loop would only log failures once the silo has left.
        if (_services.GetService<ApiKeyStore>() is { } keys) await keys.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _services.GetRequiredService<Silo>().StopAsync(CancellationToken.None).ConfigureAwait(false);
        LogDrained(_logger, Name);
    }

    /// <summary>Stops the host once, in the background (the caller's answer goes out first); false when it was already stopping.</summary>
    public bool RequestStop(TimeSpan delay)
    {
        if (Interlocked.Exchange(ref _stopping, 1) != 0) return false;
        _ = Task.Run(async () =>
        {
            try
            {
                await Task.Delay(delay).ConfigureAwait(false);
                LogStopping(_logger, Name);
                if (StopHost is { } stop) await stop().ConfigureAwait(false);
                else _services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
            }
#pragma warning disable CA1031 // nobody awaits a stop that the answer already reported; it must not crash the process
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogStopFailed(_logger, Name, ex);
            }
        });
        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {Silo} is draining at the admin API's request: leaving the ring, deactivating its grains")]
    private static partial void LogDraining(ILogger logger, string silo);

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {Silo} is drained: it left the cluster and its grains wrote their state; POST /admin/silos/{{id}}/stop ends its host")]
    private static partial void LogDrained(ILogger logger, string silo);

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {Silo} is stopping at the admin API's request")]
    private static partial void LogStopping(ILogger logger, string silo);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stopping silo {Silo} at the admin API's request failed")]
    private static partial void LogStopFailed(ILogger logger, string silo, Exception ex);
}
