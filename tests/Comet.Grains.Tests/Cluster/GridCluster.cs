using Comet.Abstractions.Options;
using Comet.Grains;
using Comet.Persistence.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.TestingHost;

namespace Comet.Grains.Tests.Cluster;

/// <summary>
/// A real Orleans cluster of three in-process silos running the grid on in-memory grain storage
/// and reminders, shared by the tests of a collection; each test uses its own keys.
/// </summary>
public sealed class GridCluster : IAsyncLifetime
{
    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public ICoordinatorGrain Coordinator => Client.GetGrain<ICoordinatorGrain>(0);

    /// <summary>
    /// A cluster on in-memory grain storage, or on one SQLite file when <paramref name="sqlitePath"/> is given
    /// (Orleans's memory storage keeps state in grains of its own, which die with their silo).
    /// </summary>
    public static InProcessTestCluster Build(short silos, string? sqlitePath = null)
    {
        var builder = new InProcessTestClusterBuilder(silos);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((options, silo) =>
        {
            if (sqlitePath is null) silo.AddMemoryGrainStorage(CometStorage.Replicas);
            else silo.AddSqliteGrainStorage(CometStorage.Replicas, o => o.DataSource = sqlitePath);
            silo.UseInMemoryReminderService();
            silo.AddCometGrid(grid =>
            {
                grid.Partitions = 64;
                grid.Namespaces["n1"] = new NamespaceOptions { N = 1, R = 1, W = 1, AllowAnonymous = true };
            });
        });
        return builder.Build();
    }

    public async Task InitializeAsync()
    {
        Cluster = Build(3);
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    /// <summary>The silo name the ring of <paramref name="silo"/>'s view puts replica <paramref name="replica"/> of a key on.</summary>
    public static string? RingSilo(InProcessSiloHandle silo, string ns, string key, int replica) =>
        silo.ServiceProvider.GetRequiredService<RingView>().Current.SiloFor(Abstractions.Keys.KeyHash.Of(ns, key), replica);
}

[CollectionDefinition(Name)]
public sealed class GridCollection : ICollectionFixture<GridCluster>
{
    public const string Name = "grid";
}
