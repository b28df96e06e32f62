using System.Text;
using Comet.Abstractions.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace Comet.Grains.Tests.Cluster;

[Collection(GridCollection.Name)]
public sealed class AntiEntropyTests(GridCluster grid)
{
    [Fact]
    public async Task A_version_only_one_replica_has_reaches_the_others_in_one_round_without_any_read()
    {
        var silo = grid.Cluster.Silos[0].ServiceProvider;
        var grains = silo.GetRequiredService<IGrainFactory>();
        // Replica 0 alone stores the write, as when the other replicas' silos were unreachable.
        var write = new NewWrite(ObjectKind.Value, null, Encoding.UTF8.GetBytes("only-on-r0"), 0, null, CallerInfo.Internal("test"), 3);
        var made = await grains.GetGrain<IReplicaGrain>(ReplicaGrainKey.Format("default", "ae-1", 0)).CoordinateAsync(write);
        Assert.Empty((await grains.GetGrain<IReplicaGrain>(ReplicaGrainKey.Format("default", "ae-1", 2)).FetchAsync()).Live);

        var copied = 0;
        foreach (var handle in grid.Cluster.Silos) copied += await handle.ServiceProvider.GetRequiredService<AntiEntropy>().RunRoundAsync();

        Assert.Equal(2, copied);
        for (var r = 1; r < 3; r++)
        {
            var live = (await grains.GetGrain<IReplicaGrain>(ReplicaGrainKey.Format("default", "ae-1", r)).FetchAsync()).Live;
            Assert.Equal(made.Entry.Version.Id, Assert.Single(live).Version.Id);
        }
        // A second round finds nothing left to copy.
        var again = 0;
        foreach (var handle in grid.Cluster.Silos) again += await handle.ServiceProvider.GetRequiredService<AntiEntropy>().RunRoundAsync();
        Assert.Equal(0, again);
    }
}
