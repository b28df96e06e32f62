using System.Net;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Keys;
using Comet.Abstractions.Protocol;
using Comet.Abstractions.Wire;
using Comet.Grid.Hosting;

namespace Comet.Client.Tests.Cluster;

/// <summary>Tests that break their own cluster: cut silo-to-silo traffic, kill silos.</summary>
public sealed class FailoverTests
{
    /// <summary>Blocks every silo's silo-to-silo port on every silo: no silo can reach another, clients still reach every gateway.</summary>
    private static void CutSiloToSiloTraffic(TestCluster cluster)
    {
        foreach (var silo in cluster.Silos)
        {
            foreach (var peer in cluster.Silos) silo.Faults.Block(new IPEndPoint(IPAddress.Loopback, peer.SiloPort));
        }
    }

    /// <summary>
    /// Crashes a silo. Silo.KillAsync currently disposes its MembershipService twice and the second dispose throws
    /// ObjectDisposedException after the sockets are already closed; the silo is dead either way (reported to the grid owner).
    /// </summary>
    private static async Task KillAsync(TestCluster cluster, Silo victim)
    {
        try
        {
            await cluster.KillSiloAsync(victim);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    [Fact]
    public async Task Requests_go_straight_to_the_coordinator_so_n_1_works_with_no_silo_to_silo_traffic()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { InitialSilosCount = 3 });
        await using var client = await ClusterFixture.ConnectAsync(cluster);
        var keys = Enumerable.Range(0, 30).Select(i => ClusterFixture.NewKey($"direct-{i}")).ToArray();
        var ring = cluster.Silos[0].View.Ring;
        foreach (var key in keys)
            Assert.Equal(ring.PreferenceList(KeyHash.Of("default", key), 3)[0], client.RouteOf(key).Id);

        CutSiloToSiloTraffic(cluster);

        // Only the coordinator holds an n=1 key, so any detour through another silo would need the cut links.
        foreach (var key in keys) await client.PutAsync(key, "at " + key, new PutOptions { N = 1, W = 1 });
        foreach (var key in keys) Assert.Equal("at " + key, (await client.GetAsync(key, new GetOptions { N = 1, R = 1 })).AsString());
        Assert.Equal(0, client.Statistics.Retries);
        Assert.Equal(3, client.Statistics.RequestsBySilo.Count(s => s.Value > 0));

        // Control: the same get sent to a silo that is not the key's coordinator cannot be served now.
        var key0 = keys[0];
        var other = cluster.Silos.First(s => s.Id != client.RouteOf(key0).Id);
        await using var connector = new FrameConnector(new FrameConnectorOptions(), new Hello(NodeRole.Client, "control"));
        var connection = await connector.GetConnectionAsync(new IPEndPoint(IPAddress.Loopback, other.GatewayPort));
        var request = new GetRequest("default", key0, null, new QuorumOptions(1, 1, null), null);
        var error = await Assert.ThrowsAsync<CometException>(async () =>
        {
            using var answer = await connection.RequestAsync((ushort)Opcode.Get, request, static (buffer, r) =>
            {
                var writer = new PayloadWriter(buffer);
                r.WriteTo(ref writer);
            });
        });
        // The gateway cannot forward to the coordinator, coordinates the get itself, and cannot
        // reach the key's only replica either.
        Assert.Equal(CometErrorCode.QuorumNotReached, error.Code);
    }

    [Fact]
    public async Task With_a_silo_killed_the_client_keeps_reading_and_writing_at_n3_r2_w2()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { InitialSilosCount = 3 });
        await using var client = await ClusterFixture.ConnectAsync(cluster, o => o.ViewRefreshPeriod = TimeSpan.FromMilliseconds(500));
        var quorum = new PutOptions { N = 3, W = 2 };
        var keys = Enumerable.Range(0, 30).Select(i => ClusterFixture.NewKey($"survive-{i}")).ToArray();
        foreach (var key in keys) await client.PutAsync(key, "before " + key, quorum);
        var victim = cluster.Silos[1];
        Assert.Contains(keys, k => client.RouteOf(k).Id == victim.Id);

        await KillAsync(cluster, victim);

        var read = new GetOptions { N = 3, R = 2 };
        foreach (var key in keys) Assert.Equal("before " + key, (await client.GetAsync(key, read)).AsString());
        foreach (var key in keys) await client.PutAsync(key, "after " + key, quorum);
        foreach (var key in keys) Assert.Equal("after " + key, (await client.GetAsync(key, read)).AsString());
        Assert.True(client.Statistics.Retries >= 1);

        // Once the silos declare it dead, the client's view drops it and nothing routes there any more.
        await cluster.WaitForStableViewAsync(TimeSpan.FromSeconds(30));
        var silos = await client.GetClusterAsync();
        Assert.DoesNotContain(silos, s => s.Id == victim.Id);
        Assert.All(keys, k => Assert.NotEqual(victim.Id, client.RouteOf(k).Id));
    }

    [Fact]
    public async Task A_client_whose_first_gateway_is_down_learns_the_cluster_from_the_next()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { InitialSilosCount = 2 });
        var down = Unit.ClosedPort.Gateway();

        await using var client = await CometClient.ConnectAsync(new CometClientOptions
        {
            Gateways = [down, $"127.0.0.1:{cluster.Silos[1].GatewayPort}"],
        });
        await client.PutAsync("k", "v");

        Assert.Equal(2, client.KnownSilos.Count);
        Assert.Equal("v", (await client.GetAsync("k")).AsString());
    }
}
