using Comet.Admin;
using Comet.Grid.Hosting;
using Azure.Core;
using Azure.Identity;
using Comet.Storage;
using Comet.Storage.Azure;
using Comet.Storage.Memory;
using Comet.Storage.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Comet.Silo;

/// <summary>Storage configuration of the silo executable (section <c>Comet:Storage</c>).</summary>
public sealed class StorageSettings
{
    /// <summary><c>sqlite</c> (default, embedded), <c>azure</c> (Azure Table storage) or <c>memory</c> (nothing survives a restart).</summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>The SQLite database file; one file serves every silo of a local cluster.</summary>
    public string SqlitePath { get; set; } = "data/comet.db";

    /// <summary>
    /// For <c>azure</c>: a storage connection string (<c>UseDevelopmentStorage=true</c> for Azurite, or
    /// an account key). Prefer <see cref="AzureTableEndpoint"/> with a managed identity in Azure.
    /// </summary>
    public string? AzureConnectionString { get; set; }

    /// <summary>For <c>azure</c> without a connection string: the table endpoint, e.g. https://myaccount.table.core.windows.net.</summary>
    public string? AzureTableEndpoint { get; set; }

    /// <summary>
    /// With <see cref="AzureTableEndpoint"/>: the client id of a user-assigned managed identity
    /// (ManagedIdentityCredential). Without it, DefaultAzureCredential (environment, workload or
    /// managed identity, Azure CLI) finds one.
    /// </summary>
    public string? AzureManagedIdentityClientId { get; set; }

    /// <summary>For <c>azure</c>: put in front of every table name, so several clusters can share one account.</summary>
    public string? AzureTableNamePrefix { get; set; }
}

/// <summary>Settings of the in-process local cluster (section <c>Comet:LocalCluster</c>).</summary>
public sealed class LocalClusterSettings
{
    /// <summary>How many silos to start in this process when no <c>--silo-id</c> is given.</summary>
    public int Silos { get; set; } = 3;
}

public static class SiloServices
{
    public static IServiceCollection AddCometSilos(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddHostedService(sp => new SiloHostedService(configuration, sp.GetRequiredService<ILoggerFactory>()) { Lifetime = sp.GetService<IHostApplicationLifetime>() });
        return services;
    }
}

/// <summary>
/// Starts the configured silos after the host starts and stops them cleanly (finishing in-flight
/// turns and writing state) when the host stops. Without an explicit silo id it runs the dev
/// local cluster: 3 silos on 127.0.0.1, HTTP 8080-8082, silo ports 11111-11113, gateways 30000-30002.
/// </summary>
public sealed class SiloHostedService : IHostedService
{
    private readonly IConfiguration _configuration;
    private readonly ILoggerFactory _loggers;
    private readonly List<Grid.Hosting.Silo> _silos = [];
    private int _stoppedByAdmin;
    private IStorageProvider? _storage;

    public SiloHostedService(IConfiguration configuration, ILoggerFactory loggers)
    {
        _configuration = configuration;
        _loggers = loggers;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var storage = _configuration.GetSection("Comet:Storage").Get<StorageSettings>() ?? new StorageSettings();
        _storage = OpenStorage(storage);
        var section = _configuration.GetSection("Comet:Silo");
        var single = section["SiloId"] is not null;
        var count = single ? 1 : Math.Max(1, _configuration.GetSection("Comet:LocalCluster").Get<LocalClusterSettings>()?.Silos ?? 3);
        var logger = _loggers.CreateLogger("Comet.Silo");
        for (var i = 0; i < count; i++)
        {
            var options = new SiloOptions();
            section.Bind(options);
            if (!single)
            {
                options.SiloId = $"silo-{i + 1}";
                // Fixed ports step by one per silo; 0 (any free port) stays 0.
                if (options.SiloPort > 0) options.SiloPort += i;
                if (options.GatewayPort > 0) options.GatewayPort += i;
                if (options.HttpPort > 0) options.HttpPort += i;
            }
            var silo = new Grid.Hosting.Silo(options, _storage, ownsStorage: false, _loggers);
            silo.ConfigureHttp = (app, s) => app.MapCometAdmin(s, new AdminHostOptions { StopSilo = StopByAdminAsync });
            await silo.StartAsync(cancellationToken).ConfigureAwait(false);
            _silos.Add(silo);
        }
        // Each silo wrote its row as it started; re-read the table so every local silo sees all
        // the others before the cluster says it is up (a put right away then finds its W replicas).
        foreach (var silo in _silos) await silo.Membership.RefreshAsync(cancellationToken).ConfigureAwait(false);
        foreach (var silo in _silos)
        {
            var options = silo.Options;
            logger.LogInformation("Silo {Silo} up: REST {Http}, gateway {Host}:{Gateway}, silo port {SiloPort}, storage {Storage}",
                silo.Id, silo.HttpPort >= 0 ? silo.HttpAddress : "off", options.Host, silo.GatewayPort, silo.SiloPort,
                DescribeStorage(storage, _storage));
        }
        if (!single && _silos.Count > 0 && _silos[0].Options.DevMode)
            logger.LogWarning("Dev mode: namespace 'default' is open to anonymous clients on loopback. Configure namespaces and keys for production.");
    }

    /// <summary>Ends the process once the admin API has stopped every silo it runs.</summary>
    public IHostApplicationLifetime? Lifetime { get; init; }

    /// <summary>The admin API's stop: a clean stop of that silo, and of the process with its last silo.</summary>
    private async Task StopByAdminAsync(Grid.Hosting.Silo silo)
    {
        await silo.StopAsync().ConfigureAwait(false);
        if (Interlocked.Increment(ref _stoppedByAdmin) >= _silos.Count) Lifetime?.StopApplication();
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var silo in Enumerable.Reverse(_silos)) await silo.StopAsync(cancellationToken).ConfigureAwait(false);
        if (_storage is not null) await _storage.DisposeAsync().ConfigureAwait(false);
    }

    private static IStorageProvider OpenStorage(StorageSettings settings)
    {
        if (settings.Provider.Equals("memory", StringComparison.OrdinalIgnoreCase)) return new MemoryStorageProvider();
        if (settings.Provider.Equals("azure", StringComparison.OrdinalIgnoreCase)) return OpenAzureStorage(settings);
        if (!settings.Provider.Equals("sqlite", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"Unknown storage provider '{settings.Provider}'; use sqlite, azure or memory.");
        return new SqliteStorageProvider(new SqliteStorageOptions { DataSource = settings.SqlitePath });
    }

    /// <summary>A connection string (keys: Azurite, dev) wins; otherwise the endpoint with a token credential (no keys).</summary>
    private static AzureTableStorageProvider OpenAzureStorage(StorageSettings settings)
    {
        var options = new AzureTableStorageOptions { TableNamePrefix = settings.AzureTableNamePrefix };
        if (!string.IsNullOrWhiteSpace(settings.AzureConnectionString))
        {
            options.ConnectionString = settings.AzureConnectionString;
        }
        else if (!string.IsNullOrWhiteSpace(settings.AzureTableEndpoint))
        {
            if (!Uri.TryCreate(settings.AzureTableEndpoint, UriKind.Absolute, out var endpoint))
                throw new InvalidOperationException($"Comet:Storage:AzureTableEndpoint '{settings.AzureTableEndpoint}' is not an absolute URI.");
            options.TableEndpoint = endpoint;
            options.Credential = CredentialFor(settings);
        }
        else
        {
            throw new InvalidOperationException(
                "--storage azure needs Comet:Storage:AzureConnectionString (--azure-connection-string, or env Comet__Storage__AzureConnectionString) or Comet:Storage:AzureTableEndpoint (--azure-table-endpoint) with a managed identity.");
        }
        return new AzureTableStorageProvider(options);
    }

    private static TokenCredential CredentialFor(StorageSettings settings) =>
        string.IsNullOrWhiteSpace(settings.AzureManagedIdentityClientId)
            ? new DefaultAzureCredential()
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(settings.AzureManagedIdentityClientId));

    /// <summary>Where the data lives, for the start-up log; never the connection string (it may hold a key).</summary>
    private static string DescribeStorage(StorageSettings settings, IStorageProvider? provider) => provider switch
    {
        MemoryStorageProvider => "memory",
        AzureTableStorageProvider azure => "Azure Table storage at " + azure.Endpoint,
        _ => Path.GetFullPath(settings.SqlitePath),
    };
}
