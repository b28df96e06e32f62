using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace Comet.Grains.Tests.Cluster;

/// <summary>What the old grid's replication suite proved, on the Orleans grid.</summary>
[Collection(GridCollection.Name)]
public sealed class BehaviourTests(GridCluster grid)
{
    private IGrainFactory SiloGrains => grid.Cluster.Silos[0].ServiceProvider.GetRequiredService<IGrainFactory>();

    private IReplicaGrain Replica(string key, int r) => SiloGrains.GetGrain<IReplicaGrain>(ReplicaGrainKey.Format("default", key, r));

    private static PutCommand Value(string key, string value, QuorumOptions quorum = default, int? ttl = null) =>
        new("default", key, ObjectKind.Value, Encoding.UTF8.GetBytes(value), null, null, ttl, quorum, null);

    private static PutCommand Aso(string key, string code, QuorumOptions quorum = default) =>
        new("default", key, ObjectKind.Aso, default, code, null, null, quorum, null);

    private static GetCommand Get(string key, QuorumOptions quorum = default) => new("default", key, null, quorum, null);

    [Fact]
    public async Task A_put_reaches_all_n_replicas_and_n_1_stores_one_copy()
    {
        await grid.Coordinator.PutAsync(Value("n3", "x", new QuorumOptions(W: 3)));
        for (var r = 0; r < 3; r++) Assert.Single((await Replica("n3", r).FetchAsync()).Live);

        await grid.Coordinator.PutAsync(Value("n1", "x", new QuorumOptions(N: 1, W: 1)));
        Assert.Single((await Replica("n1", 0).FetchAsync()).Live);
        Assert.Empty((await Replica("n1", 1).FetchAsync()).Live);
        Assert.Empty((await Replica("n1", 2).FetchAsync()).Live);
    }

    [Fact]
    public async Task An_object_written_with_n_1_is_found_by_a_plain_get_and_keeps_its_one_copy()
    {
        await grid.Coordinator.PutAsync(Value("n1-plain-get", "alone", new QuorumOptions(N: 1, W: 1)));
        for (var i = 0; i < 3; i++)
        {
            var got = await grid.Coordinator.GetAsync(Get("n1-plain-get", new QuorumOptions(R: 2)));
            Assert.Equal("alone", Encoding.UTF8.GetString(Assert.Single(got.Items).Data.Span));
        }
        await Task.Delay(500); // read repair runs in the background: give it the time to do wrong
        Assert.Empty((await Replica("n1-plain-get", 1).FetchAsync()).Live);
        Assert.Empty((await Replica("n1-plain-get", 2).FetchAsync()).Live);
    }

    [Fact]
    public async Task A_put_with_a_ttl_expires()
    {
        await grid.Coordinator.PutAsync(Value("ttl", "short-lived", ttl: 3));
        Assert.Single((await grid.Coordinator.GetAsync(Get("ttl"))).Items);
        await Task.Delay(3500);
        var ex = await Assert.ThrowsAsync<CometException>(() => grid.Coordinator.GetAsync(Get("ttl")));
        Assert.Equal(CometErrorCode.NotFound, ex.Code);
    }

    [Fact]
    public async Task An_aso_may_set_its_own_lifetime()
    {
        await grid.Coordinator.PutAsync(Aso("own-ttl", "aso.value = 'brief'\naso.ttl = 3"));
        Assert.Single((await grid.Coordinator.GetAsync(Get("own-ttl"))).Items);
        await Task.Delay(3500);
        var ex = await Assert.ThrowsAsync<CometException>(() => grid.Coordinator.GetAsync(Get("own-ttl")));
        Assert.Equal(CometErrorCode.NotFound, ex.Code);
    }

    [Fact]
    public async Task Timers_fire_on_every_replica()
    {
        await grid.Coordinator.PutAsync(Aso("timers", "aso.ticks = 0\naso.timerPeriod = 1\nfunction aso:onTimer() self.ticks = self.ticks + 1 end",
            new QuorumOptions(W: 3)));
        await Task.Delay(2500);
        for (var r = 0; r < 3; r++)
        {
            var inspection = await Replica("timers", r).InspectAsync();
            Assert.Equal(1, inspection.TimerPeriodSeconds);
            using var state = JsonDocument.Parse(Assert.Single(inspection.Live).Data);
            Assert.True(state.RootElement.GetProperty("ticks").GetInt32() >= 1, $"replica {r}: {state.RootElement}");
        }
    }

    [Fact]
    public async Task Replicas_whose_handlers_call_each_other_do_not_wait_on_each_other()
    {
        // With r=3 every replica runs onGet at once and each asks the others: a cycle of turns.
        // A neighbour call gives up on a busy replica instead of stalling the get until the replica timeout.
        await grid.Coordinator.PutAsync(Aso("neighbour-cycle", """
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
            """, new QuorumOptions(W: 3)));
        var watch = Stopwatch.StartNew();
        var got = await grid.Coordinator.GetAsync(Get("neighbour-cycle", new QuorumOptions(R: 3)));
        Assert.Equal("2", Encoding.UTF8.GetString(Assert.Single(got.Items).Data.Span));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(4), $"the get took {watch.Elapsed}");
    }

    [Fact]
    public async Task A_put_with_the_context_of_a_read_that_saw_only_the_later_of_two_concurrent_writes_keeps_the_earlier_one()
    {
        // Issue 14, finding F0: two puts from the same context get dots r0:k and r0:k+1 at replica 0. Replica 1 has
        // only the second when a client reads it; the put made with that read's context must not replace the first,
        // which that client never saw.
        var first = await Replica("dotted", 0).CoordinateAsync(new NewWrite(ObjectKind.Value, null, Encoding.UTF8.GetBytes("first"), 0,
            Comet.Abstractions.Versions.VectorClock.Empty, CallerInfo.Internal("test"), 3));
        var second = await Replica("dotted", 0).CoordinateAsync(new NewWrite(ObjectKind.Value, null, Encoding.UTF8.GetBytes("second"), 0,
            Comet.Abstractions.Versions.VectorClock.Empty, CallerInfo.Internal("test"), 3));
        await Replica("dotted", 1).ApplyAsync(new ReplicaPut(second.Entry, PutMode.Client, CallerInfo.Internal("test"), 3));
        var read = await Replica("dotted", 1).ReadAsync(new ReplicaRead(null, CallerInfo.Internal("test")));
        var seen = Assert.Single(read.Items).Version.CausalClock;
        Assert.False(seen.Contains(first.Entry.Version.Dot), $"the read of 'second' alone claims to have seen 'first': {seen}");

        await Replica("dotted", 0).CoordinateAsync(new NewWrite(ObjectKind.Value, null, Encoding.UTF8.GetBytes("third"), 0,
            Comet.Abstractions.Versions.VectorClock.FromToken(seen.ToToken()), CallerInfo.Internal("test"), 3));
        var entries = await Replica("dotted", 0).FetchAsync();
        Assert.Equal(["first", "third"], entries.Live.Select(e => Encoding.UTF8.GetString(e.Payload.Span)).Order());

        // Leave the key's replicas equal, so anti-entropy tests sharing this cluster find nothing of it to copy.
        foreach (var entry in entries.Live)
            for (var r = 1; r < 3; r++) await Replica("dotted", r).ApplyAsync(new ReplicaPut(entry, PutMode.Repair, CallerInfo.Internal("test"), 3));
    }

    [Fact]
    public async Task A_read_that_meets_a_stale_replica_repairs_it()
    {
        // Replica 0 alone has the version, as when the others' silos missed the write.
        var write = new NewWrite(ObjectKind.Value, null, Encoding.UTF8.GetBytes("fresh"), 0, null, CallerInfo.Internal("test"), 3);
        await Replica("stale", 0).CoordinateAsync(write);
        await grid.Coordinator.GetAsync(Get("stale", new QuorumOptions(R: 3)));
        await EventuallyAsync(async () => (await Replica("stale", 1).FetchAsync()).Live.Count == 1
            && (await Replica("stale", 2).FetchAsync()).Live.Count == 1, "replicas 1 and 2 repaired");
    }

    [Fact]
    public async Task A_quorum_larger_than_the_live_silos_is_refused_and_nothing_is_stored()
    {
        var ex = await Assert.ThrowsAsync<CometException>(() => grid.Coordinator.PutAsync(Value("too-many", "x", new QuorumOptions(N: 5, W: 5))));
        Assert.Equal(CometErrorCode.QuorumNotReached, ex.Code);
        Assert.Contains("w=5", ex.Message, StringComparison.Ordinal);
        Assert.Empty((await Replica("too-many", 0).FetchAsync()).Live);
    }

    [Fact]
    public async Task A_deactivated_replica_comes_back_with_the_state_its_handlers_changed()
    {
        await grid.Coordinator.PutAsync(Aso("counter", "aso.gets = 0\nfunction aso:onGet() self.gets = self.gets + 1; return self.gets end",
            new QuorumOptions(N: 1, W: 1)));
        for (var i = 0; i < 3; i++) await grid.Coordinator.GetAsync(Get("counter", new QuorumOptions(N: 1, R: 1)));
        await grid.Cluster.DeactivateAsync(Replica("counter", 0));
        var got = await grid.Coordinator.GetAsync(Get("counter", new QuorumOptions(N: 1, R: 1)));
        Assert.Equal("4", Encoding.UTF8.GetString(Assert.Single(got.Items).Data.Span));
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("Never happened: " + what);
            await Task.Delay(100);
        }
    }
}
