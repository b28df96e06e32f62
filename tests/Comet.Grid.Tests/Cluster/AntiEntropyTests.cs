using System.Net.Http.Headers;
using System.Text;
using Comet.Abstractions.Keys;
using Comet.Grid.Hosting;

namespace Comet.Grid.Tests.Cluster;

public class AntiEntropyTests
{
    private static async Task<Dictionary<string, HashSet<string>>> HoldersAsync(TestCluster cluster, IEnumerable<string> keys)
    {
        var holders = new Dictionary<string, HashSet<string>>();
        foreach (var key in keys)
        {
            holders[key] = [];
            foreach (var silo in cluster.Silos)
            {
                var replica = await silo.Catalog.InspectAsync(ObjectKey.Create("default", key), CancellationToken.None);
                if (replica.Live.Count == 1) holders[key].Add($"{silo.Id}={replica.Live[0].Version}");
            }
        }
        return holders;
    }

    [Fact]
    public async Task A_restarted_silo_pulls_what_it_missed_and_its_replicas_equal_the_others()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { ConfigureSilo = o => o.AntiEntropyPeriod = TimeSpan.FromHours(1) });
        using var http = new HttpClient();
        var victim = cluster.Silos[2];
        await cluster.StopSiloAsync(victim);
        await cluster.WaitForStableViewAsync();
        var keys = Enumerable.Range(0, 40).Select(i => $"ae-{i}").ToList();
        foreach (var key in keys)
            Assert.True((await http.PutAsync($"{cluster.Silos[0].HttpAddress}/v1/default/keys/{key}", new StringContent(key))).IsSuccessStatusCode);
        var lua = new StringContent("aso.count = 7", Encoding.UTF8);
        lua.Headers.ContentType = new MediaTypeHeaderValue("application/x-lua");
        Assert.True((await http.PutAsync($"{cluster.Silos[0].HttpAddress}/v1/default/keys/ae-aso", lua)).IsSuccessStatusCode);
        keys.Add("ae-aso");

        var back = await cluster.StartSiloAsync(victim.Id);
        await cluster.WaitForStableViewAsync();
        var copied = await back.AntiEntropy.RunRoundAsync(CancellationToken.None);
        Assert.Equal(keys.Count, copied);
        Assert.Equal(0, await back.AntiEntropy.RunRoundAsync(CancellationToken.None));

        var holders = await HoldersAsync(cluster, keys);
        foreach (var (key, replicas) in holders)
        {
            Assert.Equal(3, replicas.Count);
            Assert.Single(replicas.Select(r => r.Split('=')[1]).Distinct());
        }
        var state = await back.Catalog.InspectAsync(ObjectKey.Create("default", "ae-aso"), CancellationToken.None);
        Assert.Equal("{\"count\":7}", Encoding.UTF8.GetString(state.Live[0].Data.Span));
    }

    [Fact]
    public async Task When_a_silo_never_returns_its_replicas_are_rebuilt_and_every_key_is_back_to_n_copies()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions
        {
            InitialSilosCount = 4,
            ConfigureSilo = o => o.AntiEntropyPeriod = TimeSpan.FromHours(1),
        });
        using var http = new HttpClient();
        var keys = Enumerable.Range(0, 40).Select(i => $"lost-{i}").ToList();
        foreach (var key in keys)
            Assert.True((await http.PutAsync($"{cluster.Silos[0].HttpAddress}/v1/default/keys/{key}?w=3", new StringContent(key))).IsSuccessStatusCode);

        await cluster.KillSiloAsync(cluster.Silos[3]);
        await cluster.WaitForStableViewAsync(TimeSpan.FromSeconds(30));
        foreach (var silo in cluster.Silos) await silo.AntiEntropy.RunRoundAsync(CancellationToken.None);

        var holders = await HoldersAsync(cluster, keys);
        foreach (var (key, replicas) in holders) Assert.True(replicas.Count == 3, $"{key} has {replicas.Count} replicas");
        foreach (var key in keys)
            Assert.Equal(key, await http.GetStringAsync($"{cluster.Silos[1].HttpAddress}/v1/default/keys/{key}?r=3"));
    }

    [Fact]
    public async Task A_read_that_meets_a_stale_replica_repairs_it()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { ConfigureSilo = o => o.AntiEntropyPeriod = TimeSpan.FromHours(1) });
        using var http = new HttpClient();
        var url = $"{cluster.Silos[0].HttpAddress}/v1/default/keys/read-repair";
        Assert.True((await http.PutAsync(url + "?w=3", new StringContent("old"))).IsSuccessStatusCode);
        var victim = cluster.Silos[2];
        await cluster.StopSiloAsync(victim);
        await cluster.WaitForStableViewAsync();
        Assert.True((await http.PutAsync(url, new StringContent("new"))).IsSuccessStatusCode);
        var back = await cluster.StartSiloAsync(victim.Id);
        await cluster.WaitForStableViewAsync();
        var key = ObjectKey.Create("default", "read-repair");
        var stale = (await back.Catalog.InspectAsync(key, CancellationToken.None)).Live.Single().Data;
        Assert.Equal("old", Encoding.UTF8.GetString(stale.Span));

        Assert.Equal("new", await http.GetStringAsync(url + "?r=3"));
        await ClusterFixture.EventuallyAsync(async () =>
            Encoding.UTF8.GetString((await back.Catalog.InspectAsync(key, CancellationToken.None)).Live.Single().Data.Span) == "new",
            "the stale replica repaired by the read");
    }
}
