using Comet.Abstractions.Errors;
using Comet.Samples.Tests.Support;
using Comet.Sandbox;

namespace Comet.Samples.Tests;

/// <summary>Objects that absorb puts ("keep"): pubsub, hierarchical_pubsub, smart_tracker, opendht_bag.</summary>
public sealed class CollectionSampleTests : IDisposable
{
    private readonly FakeClock _clock = new();
    private readonly AsoRuntime _runtime;
    private readonly FakeNeighbourhood _hood;

    public CollectionSampleTests()
    {
        _runtime = new AsoRuntime(new AsoSandboxOptions(), _clock);
        _hood = new FakeNeighbourhood(_runtime);
    }

    public void Dispose()
    {
        foreach (var r in _hood.Replicas.Values) r.Dispose();
        _runtime.Dispose();
    }

    private static List<string> Data(AsoValue messages) => messages.ArrayPart.Select(m => m["data"].AsString()).ToList();

    // ---- pubsub ----

    [Fact]
    public async Task Pubsub_absorbs_each_publish_with_the_next_sequence_number()
    {
        var topic = _hood.Load("n1", Sample.Code("pubsub"));
        await topic.OnPutAsync(Sample.Client());
        foreach (var m in new[] { "a", "b", "c" }) Assert.True(await topic.PutValue(m, """{"from":"alice"}"""));

        var all = await topic.Get();
        Assert.Equal(3, all["seq"].AsInt64());
        Assert.Equal(["a", "b", "c"], Data(all["messages"]));
        Assert.Equal([1L, 2L, 3L], all["messages"].ArrayPart.Select(m => m["seq"].AsInt64()));
        Assert.Equal("alice", all["messages"][1]["from"].AsString());
    }

    [Fact]
    public async Task Pubsub_get_since_returns_only_newer_messages()
    {
        var topic = _hood.Load("n1", Sample.Code("pubsub"));
        foreach (var m in new[] { "a", "b", "c", "d" }) await topic.PutValue(m);
        Assert.Equal(["c", "d"], Data((await topic.Get("""{"since":2}"""))["messages"]));
        Assert.Equal(0, (await topic.Get("""{"since":4}"""))["messages"].Count);
    }

    [Fact]
    public async Task Pubsub_keeps_only_the_last_max_messages_but_keeps_counting()
    {
        var topic = _hood.Load("n1", Sample.Code("pubsub"));
        await topic.OnPutAsync(Sample.Client("""{"max":2}"""));
        foreach (var m in new[] { "a", "b", "c" }) await topic.PutValue(m);
        var all = await topic.Get();
        Assert.Equal(3, all["seq"].AsInt64());
        Assert.Equal(["b", "c"], Data(all["messages"]));
    }

    [Fact]
    public async Task Pubsub_lets_a_delete_replace_the_topic_instead_of_absorbing_it()
    {
        var topic = _hood.Load("n1", Sample.Code("pubsub"));
        Assert.False((await topic.OnUpdateAsync(Sample.Client(), Sample.Deleted)).Keep);
    }

    // ---- hierarchical_pubsub ----

    [Fact]
    public async Task Hierarchical_pubsub_registers_children_and_a_subscriber_walks_the_tree()
    {
        var topics = new Dictionary<string, AsoObject>();
        foreach (var key in new[] { "news", "news/sport", "news/weather" })
            topics[key] = _hood.Load("n-" + key, Sample.Code("hierarchical_pubsub"), key);

        await topics["news"].PutValue("headline");
        await topics["news/sport"].PutValue("goal!");
        await topics["news/weather"].PutValue("rain");
        await topics["news/weather"].PutValue("sun");
        Assert.True(await topics["news"].PutValue("news/weather", """{"child":"news/weather"}"""));
        Assert.True(await topics["news"].PutValue("news/sport", """{"child":"news/sport"}"""));

        var root = await topics["news"].Get();
        Assert.Equal("news", root["topic"].AsString());
        Assert.Equal(["headline"], Data(root["messages"])); // registering a child is not a message
        Assert.Equal(["news/sport", "news/weather"], Sample.Strings(root["children"]));

        // Walk: every message below "news".
        var seen = new List<string>();
        var queue = new Queue<string>(["news"]);
        while (queue.TryDequeue(out var key))
        {
            var got = await topics[key].Get();
            seen.AddRange(Data(got["messages"]).Select(m => key + ":" + m));
            foreach (var child in Sample.Strings(got["children"])) queue.Enqueue(child);
        }
        Assert.Equal(["news:headline", "news/sport:goal!", "news/weather:rain", "news/weather:sun"], seen);
    }

    [Fact]
    public async Task Hierarchical_pubsub_unregisters_a_child_on_remove()
    {
        var news = _hood.Load("n1", Sample.Code("hierarchical_pubsub"), "news");
        await news.PutValue("x", """{"child":"news/a"}""");
        await news.PutValue("x", """{"child":"news/b"}""");
        await news.PutValue("x", """{"child":"news/a","remove":true}""");
        Assert.Equal(["news/b"], Sample.Strings((await news.Get())["children"]));
    }

    // ---- smart_tracker ----

    private static string Join(string ip, double x, double y) =>
        "{\"ip\":\"" + ip + "\",\"coords\":{\"x\":" + x.ToString(System.Globalization.CultureInfo.InvariantCulture) + ",\"y\":" + y.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}}";

    [Fact]
    public async Task Smart_tracker_returns_the_k_peers_closest_to_the_callers_coordinates()
    {
        var tracker = _hood.Load("n1", Sample.Code("smart_tracker"));
        Assert.True(await tracker.PutValue("join", Join("10.1.0.1", 0, 0)));
        Assert.True(await tracker.PutValue("join", Join("10.1.0.2", 10, 10)));
        Assert.True(await tracker.PutValue("join", Join("10.1.0.3", 3, 4)));
        Assert.True(await tracker.PutValue("join", Join("10.1.0.4", -20, 0)));

        var closest = await tracker.Get("""{"coords":{"x":4,"y":4},"k":2}""");
        Assert.Equal(["10.1.0.3", "10.1.0.1"], closest.ArrayPart.Select(p => p["ip"].AsString()));
        Assert.Equal(1.0, closest[1]["distance"].AsDouble(), 6);
        Assert.Equal(Math.Sqrt(32), closest[2]["distance"].AsDouble(), 6);
    }

    [Fact]
    public async Task Smart_tracker_updates_a_rejoining_peer_and_removes_a_leaving_one()
    {
        var tracker = _hood.Load("n1", Sample.Code("smart_tracker"));
        await tracker.PutValue("join", Join("10.1.0.1", 0, 0));
        await tracker.PutValue("join", Join("10.1.0.2", 50, 50));
        await tracker.PutValue("join", Join("10.1.0.1", 100, 100)); // moved

        var near = await tracker.Get("""{"coords":{"x":100,"y":100},"k":1}""");
        Assert.Equal("10.1.0.1", near[1]["ip"].AsString());
        Assert.Equal(2, (await tracker.Get()).Count);

        await tracker.PutValue("bye", """{"ip":"10.1.0.1","leave":true}""");
        var all = await tracker.Get();
        Assert.Equal(["10.1.0.2"], all.ArrayPart.Select(p => p["ip"].AsString()));
    }

    [Fact]
    public async Task Smart_tracker_rejects_a_join_without_coordinates()
    {
        var tracker = _hood.Load("n1", Sample.Code("smart_tracker"));
        await Sample.Fails(() => tracker.PutValue("join", """{"ip":"10.1.0.1"}"""), CometErrorCode.Rejected);
    }

    [Fact]
    public async Task Smart_tracker_serves_a_hundred_peers_within_the_sandbox_limits_and_refuses_more()
    {
        var tracker = _hood.Load("n1", Sample.Code("smart_tracker"));
        for (var i = 0; i < 100; i++) Assert.True(await tracker.PutValue("join", Join($"10.2.{i / 256}.{i % 256}", i, -i)));
        await Sample.Fails(() => tracker.PutValue("join", Join("10.9.9.9", 1, 1)), CometErrorCode.Rejected);

        var closest = await tracker.Get("""{"coords":{"x":50,"y":-50},"k":3}""");
        Assert.Equal(["10.2.0.50", "10.2.0.49", "10.2.0.51"], closest.ArrayPart.Select(p => p["ip"].AsString()));
        Assert.Equal(100, (await tracker.Get()).Count);
    }

    [Fact]
    public async Task Smart_tracker_is_replaced_by_a_new_object_even_when_the_put_carries_an_ip()
    {
        var tracker = _hood.Load("n1", Sample.Code("smart_tracker"));
        var newObject = AsoValue.Table((AsoValue.FromString("peers"), AsoValue.EmptyTable), (AsoValue.FromString("maxPeers"), AsoValue.FromInt64(5)));
        var outcome = await tracker.OnUpdateAsync(Sample.Client("""{"ip":"10.1.0.1","coords":{"x":1,"y":1}}"""), newObject);
        Assert.False(outcome.Keep);
    }

    // ---- opendht_bag ----

    [Fact]
    public async Task Opendht_bag_keeps_every_value_with_its_own_ttl_and_drops_expired_ones()
    {
        var bag = _hood.Load("n1", Sample.Code("opendht_bag"));
        Assert.True(await bag.PutValue("short", """{"ttl":10}"""));
        Assert.True(await bag.PutValue("long", """{"ttl":100}"""));
        Assert.True(await bag.PutValue("default"));
        Assert.Equal(["short", "long", "default"], Sample.Strings(await bag.Get()));

        _clock.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal(["long", "default"], Sample.Strings(await bag.Get()));
        _clock.Advance(TimeSpan.FromSeconds(100));
        Assert.Equal(["default"], Sample.Strings(await bag.Get())); // default ttl is 3600 s
    }

    [Fact]
    public async Task Opendht_bag_caps_ttls_at_the_maximum()
    {
        var bag = _hood.Load("n1", Sample.Code("opendht_bag"));
        var now = _clock.NowMilliseconds();
        await bag.PutValue("forever", """{"ttl":99999999}""");
        await bag.PutValue("plain");
        var details = await bag.Get("""{"details":true}""");
        Assert.Equal(now + 604_800_000, details[1]["expiresAt"].AsInt64());
        Assert.Equal(now + 3_600_000, details[2]["expiresAt"].AsInt64());
    }

    [Fact]
    public async Task Opendht_bag_repeated_put_refreshes_instead_of_duplicating()
    {
        var bag = _hood.Load("n1", Sample.Code("opendht_bag"));
        await bag.PutValue("v", """{"ttl":10}""");
        _clock.Advance(TimeSpan.FromSeconds(8));
        await bag.PutValue("v", """{"ttl":10}""");
        _clock.Advance(TimeSpan.FromSeconds(8));
        Assert.Equal(["v"], Sample.Strings(await bag.Get()));
    }

    [Fact]
    public async Task Opendht_bag_removes_only_entries_stored_with_the_same_secret()
    {
        var bag = _hood.Load("n1", Sample.Code("opendht_bag"));
        await bag.PutValue("mine", """{"secret":"s1"}""");
        await bag.PutValue("theirs", """{"secret":"s2"}""");

        Assert.True(await bag.PutValue("-", """{"remove":"theirs","secret":"s1"}""")); // wrong secret: nothing removed
        Assert.Equal(["mine", "theirs"], Sample.Strings(await bag.Get()));
        Assert.True(await bag.PutValue("-", """{"remove":"mine","secret":"s1"}"""));
        Assert.Equal(["theirs"], Sample.Strings(await bag.Get()));
        await Sample.Fails(() => bag.PutValue("-", """{"remove":"theirs"}"""), CometErrorCode.Rejected);
        Assert.DoesNotContain("s2", bag.Data.ToJson(), StringComparison.Ordinal);
    }
}
