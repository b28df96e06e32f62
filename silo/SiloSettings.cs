namespace Comet.Silo;

/// <summary>Where one silo listens and which cluster it joins (section <c>Comet:Silo</c>).</summary>
public sealed class SiloSettings
{
    /// <summary>The silo's name: stable across restarts (the ring hashes names, so a restarted silo takes back its partitions).</summary>
    public string SiloId { get; set; } = "silo-1";

    /// <summary>Address other silos and clients use to reach this silo.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>Silo-to-silo port (Orleans: 11111); a real port, since Orleans publishes it to the other silos.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Client gateway port for the SDK and the CLI (Orleans: 30000); a real port, like the silo port.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>HTTP port of the REST gateway, admin API and dashboard. 0 picks a free port; -1 disables HTTP.</summary>
    public int HttpPort { get; set; } = 8080;

    /// <summary>Orleans cluster id: silos and clients of one cluster agree on it.</summary>
    public string ClusterId { get; set; } = Grains.CometCluster.DefaultClusterId;

    /// <summary>Orleans service id: keys grain storage and reminders; keep it across deployments.</summary>
    public string ServiceId { get; set; } = Grains.CometCluster.DefaultServiceId;

    /// <summary>Failure detection: a probe not answered within this time counts as missed (Orleans's default, 5 s, is slow for this store).</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Missed probes after which a silo votes its target dead.</summary>
    public int MissedProbesLimit { get; set; } = 3;

    /// <summary>Time given to in-flight requests at a clean shutdown.</summary>
    public TimeSpan ShutdownGrace { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The admin key that guards /admin and /metrics.</summary>
    public AdminSettings Admin { get; set; } = new();

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(SiloId) || SiloId.Contains('/', StringComparison.Ordinal))
            throw new ArgumentException("Comet:Silo:SiloId must be non-empty and must not contain '/'.");
        if (!System.Net.IPAddress.TryParse(Host, out _))
            throw new ArgumentException($"Comet:Silo:Host '{Host}' is not an IP address.");
        if (SiloPort is < 1 or > 65535 || GatewayPort is < 1 or > 65535)
            throw new ArgumentException($"Comet:Silo:SiloPort ({SiloPort}) and GatewayPort ({GatewayPort}) must be ports from 1 to 65535.");
        if (ProbeTimeout <= TimeSpan.Zero || MissedProbesLimit < 1)
            throw new ArgumentException("Comet:Silo:ProbeTimeout must be positive and MissedProbesLimit at least 1.");
    }
}

/// <summary>Section <c>Comet:Silo:Admin</c>.</summary>
public sealed class AdminSettings
{
    /// <summary>Key for the admin API; without one, only dev mode on loopback gets in.</summary>
    public string? Key { get; set; }
}

/// <summary>Storage configuration of the silo executable (section <c>Comet:Storage</c>).</summary>
public sealed class StorageSettings
{
    /// <summary><c>sqlite</c> (default, embedded), <c>azure</c> (Azure Table storage) or <c>memory</c> (nothing survives a restart).</summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>The SQLite database file; one file serves every silo of a local cluster.</summary>
    public string SqlitePath { get; set; } = "data/comet.db";

    /// <summary>For <c>azure</c>: a storage connection string (<c>UseDevelopmentStorage=true</c> for Azurite, or an account key).</summary>
    public string? AzureConnectionString { get; set; }

    /// <summary>For <c>azure</c> without a connection string: the table endpoint, e.g. https://myaccount.table.core.windows.net (managed identity).</summary>
    public string? AzureTableEndpoint { get; set; }

    /// <summary>With <see cref="AzureTableEndpoint"/>: the client id of a user-assigned managed identity; without it, DefaultAzureCredential.</summary>
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
