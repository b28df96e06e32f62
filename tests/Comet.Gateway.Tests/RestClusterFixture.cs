using Comet.Tests.Shared;

namespace Comet.Gateway.Tests;

/// <summary>Three real silos in this process on one temporary SQLite file, shared by the REST tests; each test uses its own keys.</summary>
public sealed class RestClusterFixture : IAsyncLifetime
{
    public SiloCluster Cluster { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await SiloCluster.StartAsync(3);
        Http = new HttpClient { BaseAddress = Cluster.Http(0) };
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (Cluster is not null) await Cluster.DisposeAsync();
    }

    /// <summary>A client for silo <paramref name="index"/>'s REST gateway.</summary>
    public HttpClient HttpOf(int index) => new() { BaseAddress = Cluster.Http(index) };

    public static string NewKey(string prefix = "key") => $"{prefix}-{Guid.NewGuid():N}";
}

[CollectionDefinition(Name)]
public sealed class RestCollection : ICollectionFixture<RestClusterFixture>
{
    public const string Name = "rest cluster";
}
