using System.Text;
using Comet.Abstractions.Protocol;
using Comet.Grains;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Comet.Silo;

public static class LocalClusterServices
{
    /// <summary>Runs the configured silos in this process: one with <c>--silo-id</c>, else the local cluster.</summary>
    public static IServiceCollection AddCometSilos(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddHostedService(sp => new LocalCluster(configuration, sp.GetRequiredService<ILoggerFactory>()));
        return services;
    }
}

/// <summary>
/// Starts the configured silos when the process starts and stops them cleanly (finishing
/// in-flight turns and writing state) when it stops. Without an explicit silo id it runs the
/// dev local cluster: 3 silos on 127.0.0.1, HTTP 8080-8082, silo ports 11111-11113, gateways
/// 30000-30002, one SQLite file. It says "ready" only once a write and a read have gone
/// through the cluster, so the first request after start-up does not fail.
/// </summary>
public sealed partial class LocalCluster(IConfiguration configuration, ILoggerFactory loggers) : IHostedService
{
    private readonly List<CometSilo> _silos = [];
    private readonly ILogger _logger = loggers.CreateLogger("Comet.Silo");

    public IReadOnlyList<CometSilo> Silos => _silos;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var single = configuration["Comet:Silo:SiloId"] is not null;
        var count = single ? 1 : Math.Max(1, configuration.GetSection("Comet:LocalCluster").Get<LocalClusterSettings>()?.Silos ?? 3);
        for (var i = 0; i < count; i++)
        {
            var index = i;
            var silo = CometSilo.Create(configuration, settings =>
            {
                if (single) return;
                settings.SiloId = $"silo-{index + 1}";
                // Fixed ports step by one per silo; 0 (any free port) stays 0.
                if (settings.SiloPort > 0) settings.SiloPort += index;
                if (settings.GatewayPort > 0) settings.GatewayPort += index;
                if (settings.HttpPort > 0) settings.HttpPort += index;
            }, loggers);
            await silo.StartAsync(cancellationToken).ConfigureAwait(false);
            _silos.Add(silo);
        }
        await WaitUntilReadyAsync(cancellationToken).ConfigureAwait(false);
        Describe();
    }

    /// <summary>A write and a read through every silo's coordinator: the cluster has its members, placement and storage.</summary>
    private async Task WaitUntilReadyAsync(CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        foreach (var silo in _silos)
        {
            var grains = silo.Services.GetRequiredService<IGrainFactory>();
            var replica = grains.GetGrain<IReplicaGrain>(ReplicaGrainKey.Format("comet.system", "ready-" + silo.Settings.SiloId, 0));
            while (true)
            {
                try
                {
                    var write = new NewWrite(ObjectKind.Value, null, Encoding.UTF8.GetBytes("ready"), 0, null, CallerInfo.Internal(silo.Settings.SiloId), 1);
                    await replica.CoordinateAsync(write).WaitAsync(TimeSpan.FromSeconds(5), ct).ConfigureAwait(false);
                    await replica.ReadAsync(new ReplicaRead(null, CallerInfo.Internal(silo.Settings.SiloId))).WaitAsync(TimeSpan.FromSeconds(5), ct).ConfigureAwait(false);
                    break;
                }
                catch (Exception ex) when (ex is not OperationCanceledException && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(200, ct).ConfigureAwait(false);
                }
            }
        }
    }

    private void Describe()
    {
        var text = new StringBuilder();
        var first = _silos[0];
        text.AppendLine("CometGrains is up:");
        foreach (var silo in _silos)
        {
            var s = silo.Settings;
            text.Append("  ").Append(s.SiloId).Append(": REST ").Append(silo.HttpAddress ?? "off")
                .Append(", SDK gateway ").Append(s.Host).Append(':').Append(s.GatewayPort)
                .Append(", silo port ").Append(s.SiloPort).AppendLine();
        }
        if (first.HttpAddress is { } http)
        {
            text.Append("  dashboard ").Append(http).AppendLine("/dashboard");
            text.Append("  Orleans dashboard ").Append(http).AppendLine(CometSilo.OrleansDashboardPath);
            text.Append("  admin API ").Append(http).AppendLine("/admin/cluster");
        }
        text.Append("  data ").Append(first.Storage.Provider.ToLowerInvariant() switch
        {
            "sqlite" => Path.GetFullPath(first.Storage.SqlitePath),
            "azure" => "Azure Table storage" + (first.Storage.AzureTableEndpoint is { } endpoint ? " at " + endpoint : ""),
            _ => "memory (nothing survives a restart)",
        });
        LogUp(_logger, text.ToString());
        LogReady(_logger);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var silo in Enumerable.Reverse(_silos))
        {
            try
            {
                await silo.StopAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await silo.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Description}")]
    private static partial void LogUp(ILogger logger, string description);

    [LoggerMessage(Level = LogLevel.Information, Message = "ready")]
    private static partial void LogReady(ILogger logger);
}
