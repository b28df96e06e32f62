using Comet.Grains;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime.Hosting;
using Orleans.Serialization;

namespace Comet.Client.Tests.Cluster;

/// <summary>Tests that break their own cluster: stop a silo under a client.</summary>
public sealed class FailoverTests
{
    /// <summary>Three silos whose replica state outlives any one of them, as it does on SQLite or Azure storage.</summary>
    private static Task<LoopbackCluster> StartDurableAsync()
    {
        var store = Guid.NewGuid().ToString("N");
        return LoopbackCluster.StartAsync(3, silo => silo.Services.AddGrainStorage(CometStorage.Replicas,
            (services, _) => new SharedGrainStorage(services.GetRequiredService<Serializer>()) { Store = store }));
    }

    [Fact]
    public async Task A_client_with_two_gateways_keeps_reading_and_writing_at_n3_r2_w2_when_its_first_silo_is_stopped()
    {
        await using var cluster = await StartDurableAsync();
        var first = cluster.Silos[1];
        await using var client = await CometClient.ConnectAsync(new CometClientOptions
        {
            Gateways = [first.Gateway, cluster.Silos[2].Gateway],
            ViewRefreshPeriod = TimeSpan.FromMilliseconds(500),
        });
        var write = new PutOptions { N = 3, W = 2 };
        var read = new GetOptions { N = 3, R = 2 };
        var keys = Enumerable.Range(0, 30).Select(i => ClusterFixture.NewKey($"survive-{i}")).ToArray();
        foreach (var key in keys) await client.PutAsync(key, "before " + key, write);

        await first.StopAsync();

        foreach (var key in keys) Assert.Equal("before " + key, (await client.GetAsync(key, read)).AsString());
        foreach (var key in keys) await client.PutAsync(key, "after " + key, write);
        foreach (var key in keys) Assert.Equal("after " + key, (await client.GetAsync(key, read)).AsString());
        Assert.Equal(0, client.Statistics.Unavailable);

        // The stopped silo left the membership: the cluster no longer lists it.
        var silos = await client.GetClusterAsync();
        Assert.DoesNotContain(silos, s => s.Id == first.Id);
        Assert.Equal(2, silos.Count);
    }
}
