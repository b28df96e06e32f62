using System.Text.Json;
using Comet.Client;

namespace Comet.Grains.Tests.Samples;

/// <summary>pubsub, hierarchical_pubsub, smart_tracker and opendht_bag (objects that absorb puts) through the SDK.</summary>
[Collection(SamplesCollection.Name)]
public sealed class CollectionSamplesEndToEndTests
{
    private readonly SamplesClusterFixture _f;

    public CollectionSamplesEndToEndTests(SamplesClusterFixture fixture) => _f = fixture;

    private async Task<JsonElement> Get(string key, object? args = null) =>
        (await _f.Client.GetAsync(key, new GetOptions { Args = args })).Value.AsJson();

    private static List<string> Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToList();

    [Fact]
    public async Task Pubsub_publishes_are_absorbed_and_a_subscriber_reads_messages_since_a_sequence_number()
    {
        var key = SamplesClusterFixture.Key("topic");
        await _f.Client.PutAsoAsync(key, SamplesClusterFixture.Code("pubsub"));
        foreach (var m in new[] { "m1", "m2", "m3" }) await _f.Client.PutAsync(key, m, new PutOptions { Args = new { from = "alice" } });

        var all = await Get(key);
        Assert.Equal(3, all.GetProperty("seq").GetInt32());
        Assert.Equal(["m1", "m2", "m3"], all.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("data").GetString()));
        var since = await Get(key, new { since = 1 });
        Assert.Equal([2, 3], since.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("seq").GetInt32()));
        Assert.Equal("alice", since.GetProperty("messages")[0].GetProperty("from").GetString());
    }

    [Fact]
    public async Task Hierarchical_pubsub_parent_lists_registered_children_so_a_subscriber_can_walk_the_tree()
    {
        var root = SamplesClusterFixture.Key("news");
        var sport = root + "/sport";
        var code = SamplesClusterFixture.Code("hierarchical_pubsub");
        await _f.Client.PutAsoAsync(root, code);
        await _f.Client.PutAsoAsync(sport, code);

        await _f.Client.PutAsync(root, "headline");
        await _f.Client.PutAsync(sport, "goal!");
        await _f.Client.PutAsync(root, sport, new PutOptions { Args = new { child = sport } });

        var seen = new List<string>();
        var queue = new Queue<string>([root]);
        while (queue.TryDequeue(out var key))
        {
            var got = await Get(key);
            Assert.Equal(key, got.GetProperty("topic").GetString());
            seen.AddRange(got.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("data").GetString()!));
            if (got.GetProperty("children").ValueKind == JsonValueKind.Array)
                foreach (var child in Strings(got.GetProperty("children"))) queue.Enqueue(child);
        }
        Assert.Equal(["headline", "goal!"], seen);
    }

    [Fact]
    public async Task Smart_tracker_answers_with_the_peers_closest_to_the_callers_coordinates()
    {
        var key = SamplesClusterFixture.Key("tracker");
        await _f.Client.PutAsoAsync(key, SamplesClusterFixture.Code("smart_tracker"));
        await _f.Client.PutAsync(key, "join", new PutOptions { Args = new { ip = "10.1.0.1", coords = new { x = 0, y = 0 } } });
        await _f.Client.PutAsync(key, "join", new PutOptions { Args = new { ip = "10.1.0.2", coords = new { x = 10, y = 10 } } });
        await _f.Client.PutAsync(key, "join", new PutOptions { Args = new { ip = "10.1.0.3", coords = new { x = 3, y = 4 } } });
        await _f.Client.PutAsync(key, "join", new PutOptions { Args = new { ip = "10.1.0.4", coords = new { x = -20, y = 0 } } });

        var closest = await Get(key, new { coords = new { x = 4, y = 4 }, k = 2 });
        Assert.Equal(["10.1.0.3", "10.1.0.1"], closest.EnumerateArray().Select(p => p.GetProperty("ip").GetString()));
        Assert.Equal(1.0, closest[0].GetProperty("distance").GetDouble(), 6);
        Assert.Equal(4, (await Get(key)).GetArrayLength());
    }

    [Fact]
    public async Task Opendht_bag_returns_every_live_value_drops_expired_ones_and_removes_with_the_secret()
    {
        var key = SamplesClusterFixture.Key("bag");
        await _f.Client.PutAsoAsync(key, SamplesClusterFixture.Code("opendht_bag"));
        await _f.Client.PutAsync(key, "fleeting", new PutOptions { Args = new { ttl = 1 } });
        await _f.Client.PutAsync(key, "mine", new PutOptions { Args = new { ttl = 600, secret = "s3cret" } });
        await _f.Client.PutAsync(key, "plain");

        await SamplesClusterFixture.EventuallyAsync(async () => Strings(await Get(key)).SequenceEqual(["mine", "plain"]), "the 1 s value expired, the others stayed");

        await _f.Client.PutAsync(key, "-", new PutOptions { Args = new { remove = "mine", secret = "wrong" } });
        Assert.Equal(["mine", "plain"], Strings(await Get(key)));
        await _f.Client.PutAsync(key, "-", new PutOptions { Args = new { remove = "mine", secret = "s3cret" } });
        Assert.Equal(["plain"], Strings(await Get(key)));
    }
}
