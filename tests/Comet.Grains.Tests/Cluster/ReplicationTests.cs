using System.Text;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Protocol;
using Comet.Grains;

namespace Comet.Grains.Tests.Cluster;

[Collection(GridCollection.Name)]
public sealed class ReplicationTests(GridCluster grid)
{
    private static PutCommand Put(string key, string value, string? context = null, QuorumOptions quorum = default) =>
        new("default", key, ObjectKind.Value, Encoding.UTF8.GetBytes(value), null, context, null, quorum, null);

    private static GetCommand Get(string key, QuorumOptions quorum = default) => new("default", key, null, quorum, null);

    [Fact]
    public async Task A_put_is_stored_on_three_replicas_and_read_back()
    {
        var put = await grid.Coordinator.PutAsync(Put("rep-1", "hello"));
        Assert.True(put.Created);
        Assert.True(put.Replicas >= 2);
        var got = await grid.Coordinator.GetAsync(Get("rep-1"));
        Assert.Equal("hello", Encoding.UTF8.GetString(Assert.Single(got.Items).Data.Span));
        var second = await grid.Coordinator.PutAsync(Put("rep-1", "again"));
        Assert.False(second.Created);
    }

    [Fact]
    public async Task Each_replica_lives_on_the_silo_the_ring_names_for_it()
    {
        await grid.Coordinator.PutAsync(Put("placed", "x", quorum: new QuorumOptions(W: 3)));
        var silos = new HashSet<string>();
        for (var r = 0; r < 3; r++)
        {
            var inspection = await PollAsync(() => Inspect("default", "placed", r));
            Assert.Equal(GridCluster.RingSilo(grid.Cluster.Silos[0], "default", "placed", r), inspection.Silo);
            silos.Add(inspection.Silo);
        }
        Assert.Equal(3, silos.Count);
    }

    [Fact]
    public async Task A_missing_key_is_not_found_with_its_code()
    {
        var ex = await Assert.ThrowsAsync<CometException>(() => grid.Coordinator.GetAsync(Get("never-written")));
        Assert.Equal(CometErrorCode.NotFound, ex.Code);
    }

    [Fact]
    public async Task Two_creates_that_send_the_context_of_their_miss_both_survive_as_siblings()
    {
        // Issue 14's lost first write: two clients read a new key, both miss, both create it. Each create
        // sends the context its miss carried (the empty one), so neither covers the other: both are kept.
        var missA = await Assert.ThrowsAsync<CometException>(() => grid.Coordinator.GetAsync(Get("two-creates")));
        var missB = await Assert.ThrowsAsync<CometException>(() => grid.Coordinator.GetAsync(Get("two-creates")));
        Assert.NotNull(missA.Context);
        var a = await grid.Coordinator.PutAsync(Put("two-creates", "from-a", missA.Context));
        var b = await grid.Coordinator.PutAsync(Put("two-creates", "from-b", missB.Context));
        Assert.True(a.Created);
        var got = await grid.Coordinator.GetAsync(Get("two-creates", new QuorumOptions(R: 3)));
        Assert.Equal(["from-a", "from-b"], got.Items.Select(i => Encoding.UTF8.GetString(i.Data.Span)).Order());
        Assert.NotEqual(a.Version, b.Version);
    }

    [Fact]
    public async Task A_miss_after_a_delete_carries_the_delete_s_context_and_a_create_from_it_replaces_the_tombstone()
    {
        var put = await grid.Coordinator.PutAsync(Put("deleted-then-created", "old"));
        await grid.Coordinator.DeleteAsync(new DeleteCommand("default", "deleted-then-created", put.Context, default, null));
        var miss = await Assert.ThrowsAsync<CometException>(() => grid.Coordinator.GetAsync(Get("deleted-then-created", new QuorumOptions(R: 3))));
        Assert.Equal(CometErrorCode.NotFound, miss.Code);
        var created = await grid.Coordinator.PutAsync(Put("deleted-then-created", "new", miss.Context));
        var got = await grid.Coordinator.GetAsync(Get("deleted-then-created", new QuorumOptions(R: 3)));
        Assert.Equal("new", Encoding.UTF8.GetString(Assert.Single(got.Items).Data.Span));
        Assert.True(created.Created);
    }

    [Fact]
    public async Task Two_writes_from_the_same_context_become_siblings_and_a_covering_put_resolves_them()
    {
        var first = await grid.Coordinator.PutAsync(Put("sib", "base"));
        await grid.Coordinator.PutAsync(Put("sib", "left", first.Context));
        await grid.Coordinator.PutAsync(Put("sib", "right", first.Context));
        var got = await grid.Coordinator.GetAsync(Get("sib", new QuorumOptions(R: 3)));
        Assert.Equal(["left", "right"], got.Items.Select(i => Encoding.UTF8.GetString(i.Data.Span)).Order());
        await grid.Coordinator.PutAsync(Put("sib", "merged", got.Context));
        var merged = await grid.Coordinator.GetAsync(Get("sib"));
        Assert.Equal("merged", Encoding.UTF8.GetString(Assert.Single(merged.Items).Data.Span));
    }

    [Fact]
    public async Task An_aso_answers_through_its_own_onGet_and_counts_per_replica()
    {
        const string code = """
            aso.value = "hi"
            aso.gets = 0
            function aso:onGet(caller)
              self.gets = self.gets + 1
              return {self.value, self.gets}
            end
            """;
        await grid.Coordinator.PutAsync(new PutCommand("default", "aso-counter", ObjectKind.Aso, default, code, null, null, new QuorumOptions(W: 3), null));
        var first = await grid.Coordinator.GetAsync(Get("aso-counter", new QuorumOptions(R: 1)));
        var second = await grid.Coordinator.GetAsync(Get("aso-counter", new QuorumOptions(R: 1)));
        Assert.Equal("[\"hi\",1]", Encoding.UTF8.GetString(Assert.Single(first.Items).Data.Span));
        Assert.Equal("[\"hi\",2]", Encoding.UTF8.GetString(Assert.Single(second.Items).Data.Span));
    }

    [Fact]
    public async Task A_handler_error_reaches_the_client_typed_and_the_object_is_unchanged()
    {
        const string code = """
            aso.value = "kept"
            function aso:onUpdate(caller, incoming) return false end
            """;
        await grid.Coordinator.PutAsync(new PutCommand("default", "guarded", ObjectKind.Aso, default, code, null, null, new QuorumOptions(W: 3), null));
        var ex = await Assert.ThrowsAsync<CometException>(() => grid.Coordinator.PutAsync(Put("guarded", "overwrite")));
        Assert.Equal(CometErrorCode.Rejected, ex.Code);
        var got = await grid.Coordinator.GetAsync(Get("guarded"));
        Assert.Equal("\"kept\"", Encoding.UTF8.GetString(Assert.Single(got.Items).Data.Span));
    }

    [Fact]
    public async Task A_client_cannot_call_a_replica_grain_directly()
    {
        await grid.Coordinator.PutAsync(Put("internal", "secret"));
        var replica = grid.Client.GetGrain<IReplicaGrain>(ReplicaGrainKey.Format("default", "internal", 0));
        var ex = await Assert.ThrowsAsync<CometException>(() => replica.FetchAsync());
        Assert.Equal(CometErrorCode.Forbidden, ex.Code);
    }

    [Fact]
    public async Task History_lists_metadata_only()
    {
        var first = await grid.Coordinator.PutAsync(Put("hist", "one"));
        await grid.Coordinator.PutAsync(Put("hist", "two", first.Context));
        var history = await grid.Coordinator.HistoryAsync(new HistoryQuery("default", "hist"));
        Assert.Equal(2, history.Items.Count);
        Assert.Single(history.Items, i => i.Live);
    }

    private async Task<ReplicaInspection> Inspect(string ns, string key, int replica)
    {
        // Inspection is for the admin API, which runs inside a silo: call from a silo's hosted client.
        var factory = (IGrainFactory)grid.Cluster.Silos[0].ServiceProvider.GetService(typeof(IGrainFactory))!;
        return await factory.GetGrain<IReplicaGrain>(ReplicaGrainKey.Format(ns, key, replica)).InspectAsync();
    }

    private static async Task<T> PollAsync<T>(Func<Task<T>> probe) => await probe();
}
