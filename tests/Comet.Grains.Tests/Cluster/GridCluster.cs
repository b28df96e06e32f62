using Comet.Abstractions.Options;
using Comet.Grains;
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

    public static InProcessTestCluster Build(short silos)
    {
        var builder = new InProcessTestClusterBuilder(silos);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((options, silo) =>
        {
            silo.AddMemoryGrainStorage(CometStorage.Replicas);
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
