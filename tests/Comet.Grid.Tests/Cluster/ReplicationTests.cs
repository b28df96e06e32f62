using System.Net;
using System.Text.Json;
using Comet.Abstractions.Keys;
using Comet.Grid.Hosting;

namespace Comet.Grid.Tests.Cluster;

public class ReplicationTests : IClassFixture<ClusterFixture>
{
    private readonly ClusterFixture _f;

    public ReplicationTests(ClusterFixture fixture) => _f = fixture;

    private async Task<List<Grains.ReplicaInspection>> ReplicasOf(string key)
    {
        var objectKey = ObjectKey.Create("default", key);
        var result = new List<Grains.ReplicaInspection>();
        foreach (var silo in _f.Cluster.Silos) result.Add(await silo.Catalog.InspectAsync(objectKey, CancellationToken.None));
        return result;
    }

    [Fact]
    public async Task A_put_reaches_all_n_replicas_and_n_1_stores_one_copy()
    {
        await _f.PutAsync("repl-n3", "three");
        await ClusterFixture.EventuallyAsync(async () => (await ReplicasOf("repl-n3")).Count(r => r.Live.Count == 1) == 3, "3 replicas");

        await _f.PutAsync("repl-n1", "one", "n=1&w=1");
        await Task.Delay(300); // give a wrongly sent extra replica time to land before counting
        Assert.Single(await ReplicasOf("repl-n1"), r => r.Live.Count == 1);
        Assert.Equal("one", await (await _f.GetAsync("repl-n1", "n=1&r=1", silo: 2)).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Each_replica_runs_its_own_handlers_so_a_get_counter_counts_per_replica()
    {
        await _f.PutAsoAsync("repl-counter", """
            aso.count = 0
            function aso:onGet(caller)
              self.count = self.count + 1
              return self.count
            end
            """);
        for (var i = 0; i < 4; i++) Assert.Equal(HttpStatusCode.OK, (await _f.GetAsync("repl-counter", "r=3")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _f.GetAsync("repl-counter", "r=1")).StatusCode);
        var replicas = await ReplicasOf("repl-counter");
        var counts = replicas.Select(r => JsonDocument.Parse(r.Live[0].Data).RootElement.GetProperty("count").GetInt32()).Order().ToList();
        // Every replica served the four r=3 gets; exactly one (the coordinator) also served the r=1 get.
        Assert.Equal([4, 4, 5], counts);
    }

    [Fact]
    public async Task Concurrent_writes_from_one_stale_context_become_siblings_and_a_merged_put_resolves_them()
    {
        var first = await _f.PutAsync("repl-siblings", "base");
        var context = first.Headers.GetValues("X-Comet-Context").Single();
        Assert.Equal(HttpStatusCode.OK, (await _f.PutAsync("repl-siblings", "left", "context=" + context)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _f.PutAsync("repl-siblings", "right", "context=" + context, silo: 1)).StatusCode);

        var get = await _f.GetAsync("repl-siblings", "r=3");
        Assert.Equal(HttpStatusCode.MultipleChoices, get.StatusCode);
        using (var doc = JsonDocument.Parse(await get.Content.ReadAsStringAsync()))
        {
            var values = doc.RootElement.EnumerateArray().Select(e => e.GetProperty("value").GetString()).Order().ToList();
            Assert.Equal(["left", "right"], values);
        }
        var merged = get.Headers.GetValues("X-Comet-Context").Single();
        await _f.PutAsync("repl-siblings", "resolved", "context=" + merged);
        var after = await _f.GetAsync("repl-siblings", "r=3");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal("resolved", await after.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_put_with_a_ttl_expires()
    {
        Assert.Equal(HttpStatusCode.Created, (await _f.PutAsync("repl-ttl", "short-lived", "ttl=1")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _f.GetAsync("repl-ttl")).StatusCode);
        await ClusterFixture.EventuallyAsync(async () => (await _f.GetAsync("repl-ttl")).StatusCode == HttpStatusCode.NotFound, "expiry");
    }

    [Fact]
    public async Task An_aso_may_set_its_own_lifetime()
    {
        await _f.PutAsoAsync("repl-aso-ttl", "aso.value = 'vanishing'\naso.ttl = 1");
        Assert.Equal(HttpStatusCode.OK, (await _f.GetAsync("repl-aso-ttl")).StatusCode);
        await ClusterFixture.EventuallyAsync(async () => (await _f.GetAsync("repl-aso-ttl")).StatusCode == HttpStatusCode.NotFound, "self-chosen expiry");
    }

    [Fact]
    public async Task Timers_fire_on_every_replica()
    {
        await _f.PutAsoAsync("repl-timer", """
            aso.ticks = 0
            aso.timerPeriod = 1
            function aso:onTimer() self.ticks = self.ticks + 1 end
            """);
        await ClusterFixture.EventuallyAsync(async () =>
        {
            var replicas = await ReplicasOf("repl-timer");
            return replicas.Count(r => r.Live.Count == 1 && JsonDocument.Parse(r.Live[0].Data).RootElement.GetProperty("ticks").GetInt32() >= 2) == 3;
        }, "two ticks on each of 3 replicas");
    }

    [Fact]
    public async Task Replicas_whose_handlers_call_each_other_do_not_wait_on_each_other()
    {
        // With r=3 every replica runs onGet at once and each asks the others: a cycle of turns.
        // A neighbour call fails fast on a busy replica instead of stalling the get until the replica timeout.
        await _f.PutAsoAsync("repl-neighbour-cycle", """
            function aso:onGet(caller)
              if caller.node then return "leaf" end
              local answered, busy = 0, 0
              for _, node in ipairs(comet.lookup()) do
                if node ~= comet.getNodeID() then
                  local reply = comet.get(comet.getASOKey(), {node})[1]
                  if reply.ok then answered = answered + 1 else busy = busy + 1 end
                end
              end
              return answered + busy
            end
            """);
        var get = await _f.GetAsync("repl-neighbour-cycle", "r=3");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("2", await get.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Quorum_larger_than_live_silos_is_refused_with_503()
    {
        var put = await _f.PutAsync("repl-too-many", "x", "n=5&w=5");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, put.StatusCode);
    }
}

/// <summary>Tests that stop and restart silos get their own cluster.</summary>
public class SiloRestartTests
{
    [Fact]
    public async Task A_timer_survives_a_silo_restart_and_data_survives_too()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { InitialSilosCount = 3 });
        using var http = new HttpClient();
        var f = cluster.Silos[0];
        var content = new StringContent("aso.ticks = 0\naso.timerPeriod = 1\nfunction aso:onTimer() self.ticks = self.ticks + 1 end");
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-lua");
        Assert.Equal(HttpStatusCode.Created, (await http.PutAsync($"{f.HttpAddress}/v1/default/keys/restart-timer", content)).StatusCode);
        var key = ObjectKey.Create("default", "restart-timer");

        async Task<int> TicksOn(Silo silo) =>
            JsonDocument.Parse((await silo.Catalog.InspectAsync(key, CancellationToken.None)).Live[0].Data).RootElement.GetProperty("ticks").GetInt32();

        var victim = cluster.Silos[1];
        await ClusterFixture.EventuallyAsync(async () => await TicksOn(victim) >= 1, "a tick before the restart");
        var restarted = await cluster.RestartSiloAsync(victim);
        // Re-armed at start-up from the timer registry, before anything touched the key.
        Assert.Contains(restarted.Catalog.Activations, g => g.Key == key && g.HasTimer);
        var before = await TicksOn(restarted);
        await ClusterFixture.EventuallyAsync(async () => await TicksOn(restarted) >= before + 2, "ticks after the restart");
    }
}
