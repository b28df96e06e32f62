using Comet.Samples.Tests.Support;
using Comet.Sandbox;

namespace Comet.Samples.Tests;

/// <summary>Samples that use comet.lookup/get/put: recursive_get, node_lifetimes, replica_monitoring, vanish.</summary>
public sealed class NeighbourSampleTests : IDisposable
{
    private readonly FakeClock _clock = new();
    private readonly AsoRuntime _runtime;
    private readonly FakeNeighbourhood _hood;

    public NeighbourSampleTests()
    {
        _runtime = new AsoRuntime(new AsoSandboxOptions(), _clock);
        _hood = new FakeNeighbourhood(_runtime, "n1", "n2", "n3");
    }

    public void Dispose()
    {
        foreach (var r in _hood.Replicas.Values) r.Dispose();
        _runtime.Dispose();
    }

    private static AsoValue Values(string value) => AsoValue.Table((AsoValue.FromString("value"), AsoValue.FromString(value)));

    // ---- recursive_get ----

    [Fact]
    public async Task Recursive_get_follows_the_pointer_to_the_other_replica_and_returns_its_value()
    {
        var code = Sample.Code("recursive_get");
        var n1 = _hood.Load("n1", code, data: Values("at n1"));
        _hood.Load("n2", code, data: Values("at n2"));
        await n1.OnPutAsync(Sample.Client("""{"pointer":"n2","value":"at n1"}"""));

        var got = await n1.Get();
        Assert.Equal("n1", got["node"].AsString());
        Assert.Equal("n2", got["followed"].AsString());
        Assert.True(got["ok"].AsBoolean());
        Assert.Equal("n2", got["answer"]["node"].AsString());
        Assert.Equal("at n2", got["answer"]["value"].AsString());
    }

    [Fact]
    public async Task Recursive_get_callee_cannot_recurse_and_the_caller_reports_the_no_recursion_error()
    {
        var code = Sample.Code("recursive_get");
        var n1 = _hood.Load("n1", code);
        _hood.Load("n2", code);
        _hood.Load("n3", code);

        var got = await n1.Get(); // default pointer: the last other neighbour, n3
        Assert.Equal("n3", got["followed"].AsString());
        var error = got["answer"]["recursionError"].AsString();
        Assert.Contains("neighbour calls are not allowed in a request from another ASO", error, StringComparison.Ordinal);
        // Exactly one neighbour call happened: the caller's. The callee's attempt never left the sandbox.
        var call = Assert.Single(_hood.Gets);
        Assert.Equal("n1", call.From);
        Assert.Equal(["n3"], call.Nodes);
    }

    [Fact]
    public async Task Recursive_get_reports_an_unreachable_pointer()
    {
        var n1 = _hood.Load("n1", Sample.Code("recursive_get"));
        _hood.Down.Add("n3");
        var got = await n1.Get();
        Assert.False(got["ok"].AsBoolean());
        Assert.Contains("down", got["error"].AsString(), StringComparison.Ordinal);
    }

    // ---- node_lifetimes ----

    [Fact]
    public async Task Node_lifetimes_records_first_and_last_sighting_of_each_node()
    {
        var obj = _hood.Load("n1", Sample.Code("node_lifetimes"));
        await obj.OnPutAsync(Sample.Client("""{"period":1}"""));
        Assert.Equal(1, obj.TimerPeriodSeconds);
        var t0 = _clock.NowMilliseconds();

        await obj.OnTimerAsync();                       // n1 n2 n3
        _clock.Advance(TimeSpan.FromSeconds(10));
        _hood.Nodes = ["n1", "n3", "n4"];               // n2 left, n4 joined
        await obj.OnTimerAsync();
        _clock.Advance(TimeSpan.FromSeconds(10));
        await obj.OnTimerAsync();

        var got = await obj.Get();
        Assert.Equal(3, got["samples"].AsInt64());
        Assert.Equal(["n1", "n3", "n4"], Sample.Strings(got["current"]));
        var nodes = got["nodes"];
        Assert.Equal((t0, t0 + 20_000, 3L), (nodes["n1"]["first"].AsInt64(), nodes["n1"]["last"].AsInt64(), nodes["n1"]["seen"].AsInt64()));
        Assert.Equal((t0, t0, 1L), (nodes["n2"]["first"].AsInt64(), nodes["n2"]["last"].AsInt64(), nodes["n2"]["seen"].AsInt64()));
        Assert.Equal(t0 + 10_000, nodes["n4"]["first"].AsInt64());
        Assert.Equal(10_000, nodes["n4"]["lifetime"].AsInt64());
    }

    // ---- replica_monitoring ----

    [Fact]
    public async Task Replica_monitoring_records_which_neighbours_answered_and_hold_a_replica()
    {
        _hood.Nodes = ["n1", "n2", "n3", "n4"];
        var code = Sample.Code("replica_monitoring");
        var monitor = _hood.Load("n1", code);
        _hood.Load("n2", code);                          // holds a replica
        _hood.Down.Add("n4");                            // n3 answers but holds nothing
        var now = _clock.NowMilliseconds();

        await monitor.OnTimerAsync();

        var call = Assert.Single(_hood.Gets);
        Assert.Equal(["n2", "n3", "n4"], call.Nodes);    // one call, to every other neighbour
        var report = await monitor.Get();
        Assert.Equal("n1", report["monitor"].AsString());
        Assert.Equal(1, report["rounds"].AsInt64());
        var r = report["replicas"];
        Assert.True(r["n2"]["answered"].AsBoolean());
        Assert.True(r["n2"]["holds"].AsBoolean());
        Assert.Equal(now, r["n2"]["lastHeld"].AsInt64());
        Assert.True(r["n3"]["answered"].AsBoolean());
        Assert.False(r["n3"]["holds"].AsBoolean());
        Assert.False(r["n4"]["answered"].AsBoolean());
        Assert.Contains("down", r["n4"]["error"].AsString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replica_monitoring_probes_only_from_the_first_neighbour_so_replicas_never_wait_on_each_other()
    {
        var code = Sample.Code("replica_monitoring");
        var other = _hood.Load("n2", code);
        await other.OnTimerAsync();
        Assert.Empty(_hood.Gets);
        Assert.Equal("n1", (await other.Get())["monitor"].AsString());
    }

    [Fact]
    public async Task Replica_monitoring_answers_a_probe_from_another_replica_with_its_node()
    {
        var obj = _hood.Load("n2", Sample.Code("replica_monitoring"));
        var probe = await obj.OnGetAsync(new AsoCaller("10.0.0.1", null, "n1", Sample.Args("""{"probe":true}""")));
        Assert.Equal("n2", probe.Result["replica"].AsString());
    }

    // ---- vanish ----

    [Fact]
    public async Task Vanish_timer_pushes_the_data_to_the_replicas_it_chose()
    {
        _hood.Nodes = ["n1", "n2", "n3", "n4", "n5"];
        var code = Sample.Code("vanish");
        var primary = _hood.Load("n1", code);
        await primary.OnPutAsync(Sample.Client("""{"value":"key share","copies":3,"period":1}"""));
        Assert.Equal(1, primary.TimerPeriodSeconds);

        await primary.OnTimerAsync();

        var chosen = Sample.Strings(primary.Data["chosen"]);
        Assert.Equal(3, chosen.Count);
        Assert.Equal(chosen.Count, chosen.Distinct().Count());
        Assert.All(chosen, n => Assert.Contains(n, _hood.Nodes));
        var push = Assert.Single(_hood.Puts);
        Assert.Equal("n1", push.From);
        Assert.Equal(chosen.Where(n => n != "n1").Order(), push.Nodes.Order());
        Assert.Equal("key share", push.Data["value"].AsString());
        foreach (var node in push.Nodes)
        {
            var replica = _hood.Replicas[node];
            Assert.Equal("key share", replica.Data["value"].AsString());
            Assert.Equal("n1", replica.Data["receivedFrom"].AsString());
            Assert.Equal(1, replica.TimerPeriodSeconds);
            var answer = await replica.Get();               // a complete object: its get still works
            Assert.Equal(0, answer["pushes"].AsInt64());
            Assert.Equal("n1", answer["receivedFrom"].AsString());
        }
        var got = await primary.Get();
        Assert.Equal(1, got["pushes"].AsInt64());
        Assert.All(push.Nodes, n => Assert.True(got["lastPush"][n].AsBoolean()));
    }

    [Fact]
    public async Task Vanish_choice_is_deterministic_so_every_replica_agrees_and_only_the_first_pushes()
    {
        _hood.Nodes = ["n1", "n2", "n3", "n4", "n5"];
        var code = Sample.Code("vanish");
        var a = _hood.Load("n1", code);
        var b = _hood.Load("n4", code);
        await a.OnPutAsync(Sample.Client("""{"value":"v","copies":2}"""));
        await b.OnPutAsync(Sample.Client("""{"value":"v","copies":2}"""));

        await b.OnTimerAsync();
        Assert.Empty(_hood.Puts);                       // n4 is not the first neighbour
        await a.OnTimerAsync();
        Assert.Equal(Sample.Strings(a.Data["chosen"]), Sample.Strings(b.Data["chosen"]));
    }

    [Fact]
    public async Task Vanish_salt_changes_the_chosen_replicas()
    {
        _hood.Nodes = Enumerable.Range(1, 8).Select(i => "n" + i).ToList();
        var code = Sample.Code("vanish");
        var sets = new HashSet<string>();
        for (var i = 0; i < 6; i++)
        {
            using var obj = _runtime.Load(new AsoContext("default", "k", "n9", "10.0.0.9", code), code, ReadOnlySpan<byte>.Empty, _hood);
            await obj.OnPutAsync(Sample.Client($$"""{"salt":"s{{i}}","copies":2}"""));
            await obj.OnTimerAsync();
            sets.Add(string.Join(",", Sample.Strings(obj.Data["chosen"]).Order()));
        }
        Assert.True(sets.Count > 1, "every salt chose the same replicas");
    }
}
