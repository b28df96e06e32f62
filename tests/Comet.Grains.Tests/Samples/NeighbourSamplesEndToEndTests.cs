using System.Text.Json;
using Comet.Client;

namespace Comet.Grains.Tests.Samples;

/// <summary>recursive_get, node_lifetimes, replica_monitoring and vanish: samples that call their neighbours, on a real cluster.</summary>
[Collection(SamplesCollection.Name)]
public sealed class NeighbourSamplesEndToEndTests
{
    private static readonly string[] AllSilos = ["silo-1", "silo-2", "silo-3"];

    private readonly SamplesClusterFixture _f;

    public NeighbourSamplesEndToEndTests(SamplesClusterFixture fixture) => _f = fixture;

    [Fact]
    public async Task Recursive_get_reads_another_replica_whose_own_neighbour_call_is_refused_by_the_no_recursion_rule()
    {
        var key = SamplesClusterFixture.Key("recursive");
        await _f.Client.PutAsoAsync(key, SamplesClusterFixture.Code("recursive_get"), new PutOptions { Args = new { value = "pointed-at" } });

        // r = 1: one replica follows the pointer (two reading replicas pointing at each other would wait on each other).
        var got = (await _f.Client.GetAsync(key, new GetOptions { R = 1 })).Value.AsJson();
        var self = got.GetProperty("node").GetString();
        var followed = got.GetProperty("followed").GetString();
        Assert.Contains(self, AllSilos);
        Assert.Contains(followed, AllSilos);
        Assert.NotEqual(self, followed);
        Assert.True(got.GetProperty("ok").GetBoolean());
        var answer = got.GetProperty("answer");
        Assert.Equal(followed, answer.GetProperty("node").GetString());
        Assert.Equal("pointed-at", answer.GetProperty("value").GetString());
        Assert.Contains("neighbour calls are not allowed in a request from another ASO", answer.GetProperty("recursionError").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Node_lifetimes_timer_records_every_silo_with_first_and_last_sighting()
    {
        var key = SamplesClusterFixture.Key("lifetimes");
        await _f.Client.PutAsoAsync(key, SamplesClusterFixture.Code("node_lifetimes"), new PutOptions { Args = new { period = 1 } });

        JsonElement got = default;
        await SamplesClusterFixture.EventuallyAsync(async () =>
        {
            got = (await _f.Client.GetAsync(key)).Value.AsJson();
            return got.GetProperty("samples").GetInt32() >= 2
                && got.GetProperty("nodes").ValueKind == JsonValueKind.Object
                && AllSilos.All(s => got.GetProperty("nodes").TryGetProperty(s, out var n) && n.GetProperty("seen").GetInt32() >= 2);
        }, "two samples that saw every silo");

        foreach (var silo in AllSilos)
        {
            var n = got.GetProperty("nodes").GetProperty(silo);
            Assert.True(n.GetProperty("last").GetInt64() > n.GetProperty("first").GetInt64());
            Assert.Equal(n.GetProperty("last").GetInt64() - n.GetProperty("first").GetInt64(), n.GetProperty("lifetime").GetInt64());
        }
        Assert.Equal(AllSilos, got.GetProperty("current").EnumerateArray().Select(e => e.GetString()).Order());
    }

    [Fact]
    public async Task Replica_monitoring_monitor_finds_that_both_other_silos_answer_and_hold_a_replica()
    {
        var key = SamplesClusterFixture.Key("monitor");
        await _f.Client.PutAsoAsync(key, SamplesClusterFixture.Code("replica_monitoring"), new PutOptions { Args = new { period = 1 } });

        string? monitor = null;
        JsonElement report = default;
        await SamplesClusterFixture.EventuallyAsync(async () =>
        {
            var replicas = await _f.ReplicaDataAsync(key);
            monitor = replicas.Values.Select(d => d.GetProperty("monitor").GetString()).FirstOrDefault(m => !string.IsNullOrEmpty(m));
            if (monitor is null || !replicas.TryGetValue(monitor, out report)) return false;
            var r = report.GetProperty("replicas");
            return r.ValueKind == JsonValueKind.Object
                && AllSilos.Where(s => s != monitor).All(s => r.TryGetProperty(s, out var e) && e.GetProperty("holds").GetBoolean());
        }, "the monitor saw both other replicas");

        Assert.True(report.GetProperty("rounds").GetInt32() >= 1);
        var seen = report.GetProperty("replicas").EnumerateObject().Select(p => p.Name).Order().ToList();
        Assert.Equal(AllSilos.Where(s => s != monitor), seen);
        Assert.All(report.GetProperty("replicas").EnumerateObject(), p => Assert.True(p.Value.GetProperty("answered").GetBoolean()));

        // A client get (not a probe) answers the report shape.
        var got = (await _f.Client.GetAsync(key)).Value.AsJson();
        Assert.Equal(monitor, got.GetProperty("monitor").GetString());
    }

    [Fact]
    public async Task Vanish_timer_pushes_the_object_to_the_replicas_it_chose()
    {
        var key = SamplesClusterFixture.Key("vanish");
        await _f.Client.PutAsoAsync(key, SamplesClusterFixture.Code("vanish"), new PutOptions { Args = new { value = "key share", copies = 3, period = 1 } });

        string? pusher = null;
        Dictionary<string, JsonElement> replicas = [];
        await SamplesClusterFixture.EventuallyAsync(async () =>
        {
            replicas = await _f.ReplicaDataAsync(key);
            pusher = replicas.FirstOrDefault(r => r.Value.TryGetProperty("pushes", out var p) && p.GetInt32() >= 1).Key;
            if (pusher is null) return false;
            var targets = replicas[pusher].GetProperty("chosen").EnumerateArray().Select(e => e.GetString()!).Where(n => n != pusher).ToList();
            return targets.Count == 2 && targets.All(t => replicas.TryGetValue(t, out var d)
                && d.TryGetProperty("receivedFrom", out var from) && from.GetString() == pusher);
        }, "the pushing replica's data arrived at the chosen replicas");

        var chosen = replicas[pusher!].GetProperty("chosen").EnumerateArray().Select(e => e.GetString()).Order().ToList();
        Assert.Equal(AllSilos, chosen); // copies = 3 on a 3-silo cluster: every silo
        var lastPush = replicas[pusher!].GetProperty("lastPush");
        Assert.All(AllSilos.Where(s => s != pusher), s => Assert.True(lastPush.GetProperty(s).GetBoolean()));
        Assert.All(AllSilos.Where(s => s != pusher), s => Assert.Equal("key share", replicas[s].GetProperty("value").GetString()));
        Assert.Equal("key share", (await _f.Client.GetAsync(key)).Value.AsJson().GetProperty("value").GetString());
    }
}
