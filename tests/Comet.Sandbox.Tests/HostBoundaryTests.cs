using System.Diagnostics;
using Comet.Abstractions.Errors;
using Comet.Sandbox.Tests.Support;

namespace Comet.Sandbox.Tests;

/// <summary>
/// Classes 1 and 2 of the sandbox robustness issue (SANDBOX.md H1-H3): work the host does for
/// an object — encoding its state, reading its results and call arguments, pushing replies,
/// <c>incoming</c>, arguments and restored state into its Lua state — is bounded by the
/// object's limits, in O(limit) work whatever the shape of the data.
/// </summary>
public class HostBoundaryTests
{
    // A table referenced twice at each of 40 levels: ~40 tables in Lua, 2^40 nodes as a tree.
    private const string Doubling = "local t = {} for i = 1, 40 do t = { t, t } end";

    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task State_with_a_table_shared_at_every_level_is_refused_quickly_and_the_object_is_unchanged()
    {
        using var obj = Asos.Load($"aso.n = 1 function aso:onGet() {Doubling} self.dag = t return self.n end");
        var before = obj.EncodeState();
        var clock = Stopwatch.StartNew();

        var e = await obj.FailsGet(CometErrorCode.TooLarge);

        Assert.True(clock.Elapsed < Quick, $"took {clock.ElapsedMilliseconds} ms");
        Assert.Contains("referenced several times", e.Message);
        Assert.Equal(before, obj.EncodeState());
        Assert.Equal(1L, obj.Data["n"].AsInt64());
    }

    [Fact]
    public async Task A_result_with_a_table_shared_at_every_level_is_refused_quickly()
    {
        using var obj = Asos.Load($"function aso:onGet() {Doubling} return t end");
        var clock = Stopwatch.StartNew();

        await obj.FailsGet(CometErrorCode.TooLarge);

        Assert.True(clock.Elapsed < Quick, $"took {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task Neighbour_call_arguments_with_shared_tables_are_refused_before_any_call()
    {
        var neighbours = new FakeNeighbours();
        using var obj = Asos.Load($"function aso:onGet() {Doubling} return comet.get(comet.getASOKey(), {{ 'n2' }}, t) end", neighbours);
        var clock = Stopwatch.StartNew();

        var e = await obj.FailsGet(CometErrorCode.HandlerError);

        Assert.True(clock.Elapsed < Quick, $"took {clock.ElapsedMilliseconds} ms");
        Assert.Contains("cannot be sent", e.Message);
        Assert.DoesNotContain(neighbours.Log, l => l.StartsWith("get", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Neighbour_calls_past_the_cap_do_no_host_work_on_their_arguments()
    {
        var runtime = Asos.Runtime(o => o.MaxNeighbourCallsPerHandler = 1);
        using var obj = Asos.Load($$"""
            function aso:onGet()
              {{Doubling}}
              comet.get(comet.getASOKey(), { 'n2' })
              local ok, err = pcall(comet.get, comet.getASOKey(), { 'n2' }, t)
              return err
            end
            """, runtime: runtime);
        var clock = Stopwatch.StartNew();

        var result = await obj.Get();

        Assert.True(clock.Elapsed < Quick, $"took {clock.ElapsedMilliseconds} ms");
        Assert.Contains("at most 1 neighbour calls", result.AsString());
    }

    [Fact]
    public async Task A_neighbour_reply_too_large_for_the_heap_fails_the_call_inside_the_handler()
    {
        var neighbours = new FakeNeighbours { GetReply = (_, _) => AsoValue.FromString(new string('x', 500_000)) };
        using var obj = Asos.Load("function aso:onGet() local r = comet.get(comet.getASOKey(), { 'n2', 'n3', 'n4' }) return #r end", neighbours);

        var e = await obj.FailsGet(CometErrorCode.MemoryLimit);

        Assert.True(obj.Stats.PeakHeapBytes <= 100 * 1024, $"peak {obj.Stats.PeakHeapBytes}");
        Assert.Contains("heap", e.Message);
    }

    [Fact]
    public async Task A_handler_may_catch_a_refused_reply_and_answer_anyway()
    {
        var neighbours = new FakeNeighbours { GetReply = (_, _) => AsoValue.FromString(new string('x', 500_000)) };
        using var obj = Asos.Load("""
            function aso:onGet()
              local ok, err = pcall(comet.get, comet.getASOKey(), { 'n2' })
              return ok and "fit" or err
            end
            """, neighbours);

        var result = await obj.Get();

        Assert.Contains("not enough memory", result.AsString());
        Assert.True(obj.Stats.PeakHeapBytes <= 100 * 1024, $"peak {obj.Stats.PeakHeapBytes}");
    }

    [Fact]
    public async Task An_incoming_object_too_large_for_the_heap_fails_onUpdate_with_the_memory_limit()
    {
        using var obj = Asos.Load("aso.n = 1 function aso:onUpdate(caller, incoming) return true end");
        var incoming = AsoValue.Table(Enumerable.Range(0, 20_000).Select(i => new KeyValuePair<AsoValue, AsoValue>(AsoValue.FromString("k" + i), AsoValue.FromInt64(i))));

        await Asos.Fails(async () => await obj.OnUpdateAsync(Asos.Client(), incoming), CometErrorCode.MemoryLimit);

        Assert.True(obj.Stats.PeakHeapBytes <= 100 * 1024, $"peak {obj.Stats.PeakHeapBytes}");
        Assert.Equal(1L, obj.Data["n"].AsInt64());
    }

    [Fact]
    public async Task Arguments_too_large_for_the_heap_fail_the_call_with_the_memory_limit()
    {
        using var obj = Asos.Load("function aso:onGet(caller) return 1 end");
        var args = AsoValue.Table(("blob", AsoValue.FromString(new string('y', 300_000))));

        await obj.FailsGet(CometErrorCode.MemoryLimit, Asos.Client(args));

        Assert.True(obj.Stats.PeakHeapBytes <= 100 * 1024, $"peak {obj.Stats.PeakHeapBytes}");
        Assert.Equal(1L, (await obj.Get()).AsInt64());
    }

    [Fact]
    public void Restored_state_too_large_for_the_heap_fails_the_load_with_the_memory_limit()
    {
        var big = AsoValue.Table(Enumerable.Range(0, 20_000).Select(i => new KeyValuePair<AsoValue, AsoValue>(AsoValue.FromString("field" + i), AsoValue.FromString("value" + i))));
        byte[] state = AsoStateCodec.Encode(big);

        var e = Assert.Throws<AsoException>(() => Asos.Load("aso.x = 1", state: state));

        Assert.Equal(CometErrorCode.MemoryLimit, e.Code);
    }

    [Fact]
    public async Task Randomly_shaped_shared_tables_always_end_within_the_limits()
    {
        var random = new Random(12);
        for (int round = 0; round < 40; round++)
        {
            int depth = random.Next(1, 45);
            int fanout = random.Next(1, 5);
            string where = random.Next(3) switch { 0 => "self.dag = t return 1", 1 => "return t", _ => "return { x = t, y = t }" };
            string code = $$"""
                function aso:onGet()
                  local t = { "leaf", {{random.Next(100)}} }
                  for i = 1, {{depth}} do
                    local n = {}
                    for j = 1, {{fanout}} do n[j] = t end
                    n.level = i
                    t = n
                  end
                  {{where}}
                end
                """;
            using var obj = Asos.Load(code);
            var clock = Stopwatch.StartNew();
            string outcome;
            try
            {
                await obj.Get();
                outcome = "ok";
            }
            catch (AsoException e)
            {
                outcome = e.Code.ToString();
            }
            Assert.True(clock.Elapsed < Quick, $"depth {depth} fan-out {fanout} ({where}) took {clock.ElapsedMilliseconds} ms");
            Assert.True(outcome is "ok" or "TooLarge", $"depth {depth} fan-out {fanout} ({where}) ended {outcome}");
            // Small shapes fit and are kept whole: 2^depth leaves of a few bytes under 1 MiB.
            if (Math.Pow(fanout, depth) < 10_000)
            {
                Assert.Equal("ok", outcome);
            }
            Assert.True(obj.Stats.PeakHeapBytes <= 100 * 1024);
        }
    }
}
