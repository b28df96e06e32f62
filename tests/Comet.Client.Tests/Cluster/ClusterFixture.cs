namespace Comet.Client.Tests.Cluster;

/// <summary>
/// Three real Orleans silos running the grid in this process on loopback TCP ports (in-memory grain storage), and
/// one SDK client connected through silo 1's gateway; shared by the tests of a collection, each using its own keys.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public LoopbackCluster Cluster { get; private set; } = null!;

    public CometClient Client { get; private set; } = null!;

    /// <summary>Silo 1's gateway as <c>host:port</c>.</summary>
    public string Gateway => Cluster.Silos[0].Gateway;

    public async Task InitializeAsync()
    {
        Cluster = await LoopbackCluster.StartAsync(3);
        Client = await ConnectAsync();
    }

    /// <summary>A new client of its own through silo 1's gateway (dispose it).</summary>
    public Task<CometClient> ConnectAsync(Action<CometClientOptions>? configure = null) => ConnectAsync(Cluster, configure);

    public static async Task<CometClient> ConnectAsync(LoopbackCluster cluster, Action<CometClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var options = new CometClientOptions { Gateways = [cluster.Silos[0].Gateway] };
        configure?.Invoke(options);
        return await CometClient.ConnectAsync(options);
    }

    public async Task DisposeAsync()
    {
        if (Client is not null) await Client.DisposeAsync();
        if (Cluster is not null) await Cluster.DisposeAsync();
    }

    /// <summary>A key no other test uses.</summary>
    public static string NewKey(string prefix = "key") => $"{prefix}-{Guid.NewGuid():N}";
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "three-silo cluster";
}
