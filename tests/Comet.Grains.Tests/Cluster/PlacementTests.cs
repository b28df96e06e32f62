using System.Text;
using Comet.Abstractions.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Comet.Grains.Tests.Cluster;

/// <summary>Kills and restarts silos: its own cluster, not the shared one.</summary>
public sealed class PlacementTests : IAsyncLifetime
{
    private InProcessTestCluster _cluster = null!;
    private string _key = "";
    private readonly string _database = Path.Combine(Path.GetTempPath(), $"comet-placement-{Guid.NewGuid():N}.db");

    public async Task InitializeAsync()
    {
        _cluster = GridCluster.Build(3, _database);
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        foreach (var file in Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(_database) + "*")) File.Delete(file);
    }

    [Fact]
    public async Task A_replica_whose_silo_dies_moves_to_the_next_silo_of_the_walk_with_its_state_and_moves_back_when_the_silo_returns()
    {
        // A key whose replica 0 lives on a secondary silo (the test kills that silo; the primary stays).
        var primary = Name(_cluster.Silos[0]);
        _key = Enumerable.Range(0, 100).Select(i => $"mover-{i}").First(k => GridCluster.RingSilo(_cluster.Silos[0], "default", k, 0) != primary);
        var coordinator = _cluster.Client.GetGrain<ICoordinatorGrain>(0);
        await coordinator.PutAsync(new PutCommand("default", _key, ObjectKind.Value, Encoding.UTF8.GetBytes("v1"), null, null, null, new QuorumOptions(W: 3), null));
        var home = await InspectAsync(_cluster.Silos[0], 0);
        var victim = _cluster.Silos.First(s => Name(s) == home.Silo);
        var survivor = _cluster.Silos[0];

        await _cluster.KillSiloAsync(victim);
        // Once the others declare it dead, the next call activates replica 0 where the ring now puts it, from storage.
        ReplicaInspection moved = null!;
        await EventuallyAsync(async () =>
        {
            try
            {
                moved = await InspectAsync(survivor, 0).WaitAsync(TimeSpan.FromSeconds(2));
                return moved.Silo != home.Silo;
            }
            catch (Exception ex) when (ex is TimeoutException or OrleansException or SiloUnavailableException)
            {
                return false;
            }
        }, "replica 0 re-activated on another silo", TimeSpan.FromSeconds(60));
        Assert.Equal(GridCluster.RingSilo(survivor, "default", _key, 0), moved.Silo);
        Assert.Equal("v1", Encoding.UTF8.GetString(Assert.Single(moved.Live).Data.Span));

        // The silo comes back under its name; the replica's next call sees the ring changed and migrates home when idle.
        await using var returned = await _cluster.StartSiloAsync(victim.InstanceNumber, _cluster.Options);
        await EventuallyAsync(async () =>
        {
            var back = await InspectAsync(survivor, 0);
            return back.Silo == home.Silo;
        }, "replica 0 moved back to its returned silo", TimeSpan.FromSeconds(60));
        Assert.Equal("v1", Encoding.UTF8.GetString(Assert.Single((await InspectAsync(survivor, 0)).Live).Data.Span));
    }

    private static string Name(InProcessSiloHandle silo) => silo.ServiceProvider.GetRequiredService<Orleans.Runtime.ILocalSiloDetails>().Name;

    private Task<ReplicaInspection> InspectAsync(InProcessSiloHandle from, int replica) =>
        from.ServiceProvider.GetRequiredService<IGrainFactory>().GetGrain<IReplicaGrain>(ReplicaGrainKey.Format("default", _key, replica)).InspectAsync();

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("Never happened: " + what);
            await Task.Delay(250);
        }
    }
}
