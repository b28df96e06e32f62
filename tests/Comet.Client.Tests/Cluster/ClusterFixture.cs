using Comet.Grid.Hosting;

namespace Comet.Client.Tests.Cluster;

/// <summary>Three real silos in this process on loopback (shared memory store) and one client connected through silo 1's gateway.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;

    public CometClient Client { get; private set; } = null!;

    public string Gateway => $"127.0.0.1:{Cluster.Silos[0].GatewayPort}";

    public async Task InitializeAsync()
    {
        Cluster = await TestCluster.StartAsync(new TestClusterOptions { InitialSilosCount = 3 });
        Client = await ConnectAsync();
    }

    public Task<CometClient> ConnectAsync(Action<CometClientOptions>? configure = null) => ConnectAsync(Cluster, configure);

    public static async Task<CometClient> ConnectAsync(TestCluster cluster, Action<CometClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var options = new CometClientOptions { Gateways = [$"127.0.0.1:{cluster.Silos[0].GatewayPort}"] };
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
