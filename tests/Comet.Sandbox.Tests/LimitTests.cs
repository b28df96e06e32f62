using Comet.Abstractions.Errors;
using Comet.Sandbox.Tests.Support;

namespace Comet.Sandbox.Tests;

public class LimitTests
{
    [Fact]
    public async Task An_endless_loop_stops_at_the_instruction_limit()
    {
        using var obj = Asos.Load("function aso:onGet() while true do end end");

        var e = await obj.FailsGet(CometErrorCode.InstructionLimit);

        Assert.Contains("100000", e.Message);
        Assert.InRange(obj.Stats.LastInstructions, 99_000, 101_000);
    }

    [Fact]
    public async Task Catching_the_limit_error_with_pcall_does_not_escape_it()
    {
        using var obj = Asos.Load("""
            function aso:onGet()
              local caught = 0
              while true do
                local ok = pcall(function() while true do end end)
                caught = caught + 1
              end
            end
            """);

        await obj.FailsGet(CometErrorCode.InstructionLimit);
    }

    [Fact]
    public async Task A_limit_error_caught_in_the_last_instruction_still_fails_the_call()
    {
        using var obj = Asos.Load("function aso:onGet() return pcall(function() while true do end end) end");

        await obj.FailsGet(CometErrorCode.InstructionLimit);
    }

    [Fact]
    public async Task The_instruction_limit_is_per_call()
    {
        using var obj = Asos.Load("function aso:onGet() local x = 0 for i = 1, 30000 do x = x + 1 end return x end");

        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(30000L, (await obj.Get()).AsInt64());
        }
        Assert.True(obj.Stats.TotalInstructions >= 5 * 50_000);
    }

    [Fact]
    public async Task Work_just_under_the_limit_succeeds()
    {
        var runtime = Asos.Runtime(o => o.InstructionLimit = 1_000_000);
        using var obj = Asos.Load("function aso:onGet() local x = 0 for i = 1, 400000 do x = x + 1 end return x end", runtime: runtime);

        Assert.Equal(400000L, (await obj.Get()).AsInt64());
    }

    [Fact]
    public async Task A_chunk_that_loops_forever_fails_to_load_with_the_instruction_limit()
    {
        var e = Assert.Throws<AsoException>(() => Asos.Load("while true do end"));

        Assert.Equal(CometErrorCode.InstructionLimit, e.Code);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task String_rep_of_100_MB_hits_the_memory_limit()
    {
        using var obj = Asos.Load("function aso:onGet() return #string.rep('x', 100 * 1024 * 1024) end");

        var e = await obj.FailsGet(CometErrorCode.MemoryLimit);

        Assert.Contains("102400-byte", e.Message);
        Assert.True(obj.Stats.PeakHeapBytes <= 100 * 1024);
    }

    [Fact]
    public async Task A_growing_table_hits_the_memory_limit_and_the_heap_never_passes_the_budget()
    {
        using var obj = Asos.Load("function aso:onGet() local t = {} for i = 1, 1e7 do t[i] = 'item ' .. i end end");

        await obj.FailsGet(CometErrorCode.MemoryLimit);

        Assert.True(obj.Stats.PeakHeapBytes <= 100 * 1024, $"peak {obj.Stats.PeakHeapBytes}");
        Assert.True(obj.HeapBytes < 64 * 1024, $"heap after the failure {obj.HeapBytes}");
    }

    [Fact]
    public async Task A_memory_error_caught_with_pcall_leaves_a_working_object_within_budget()
    {
        using var obj = Asos.Load("""
            function aso:onGet()
              local ok, e = pcall(string.rep, "x", 1e8)
              return {ok, e}
            end
            """);

        var result = await obj.Get();

        Assert.Equal(AsoValue.Array(false, "not enough memory"), result);
        Assert.True(obj.Stats.PeakHeapBytes <= 100 * 1024);
    }

    [Fact]
    public async Task Code_that_does_not_fit_in_the_heap_fails_to_load_with_the_memory_limit()
    {
        var big = "aso.t = {" + string.Join(",", Enumerable.Range(0, 6000).Select(i => $"'s{i}'")) + "}";
        var runtime = Asos.Runtime(o => o.MaxCodeBytes = 256 * 1024);

        var e = Assert.Throws<AsoException>(() => Asos.Load(big, runtime: runtime));

        Assert.Equal(CometErrorCode.MemoryLimit, e.Code);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task A_busy_handler_stops_at_the_time_limit_when_instructions_are_plenty()
    {
        var runtime = Asos.Runtime(o =>
        {
            o.InstructionLimit = int.MaxValue;
            o.HandlerTimeout = TimeSpan.FromMilliseconds(50);
        });
        using var obj = Asos.Load("function aso:onGet() while true do end end", runtime: runtime);

        var e = await obj.FailsGet(CometErrorCode.TimeLimit);

        Assert.Contains("50 ms", e.Message);
    }

    [Fact]
    public async Task A_backtracking_pattern_is_stopped_by_the_instruction_budget()
    {
        // E5: natively this find runs for seconds inside one C call that no hook can stop.
        using var obj = Asos.Load("function aso:onGet() return ('a'):rep(2000):find('.-.-b') end");

        await obj.FailsGet(CometErrorCode.InstructionLimit);
    }

    [Fact]
    public async Task Patterns_in_gsub_gmatch_and_match_are_bounded_too()
    {
        using var gsub = Asos.Load("function aso:onGet() return (('a'):rep(3000):gsub('.-.-.-b', 'x')) end");
        using var gmatch = Asos.Load("function aso:onGet() for w in ('a'):rep(3000):gmatch('.-.-.-b') do end end");
        using var match = Asos.Load("function aso:onGet() return ('a'):rep(3000):match('(.-)(.-)(.-)b') end");

        await gsub.FailsGet(CometErrorCode.InstructionLimit);
        await gmatch.FailsGet(CometErrorCode.InstructionLimit);
        await match.FailsGet(CometErrorCode.InstructionLimit);
    }

    [Fact]
    public async Task A_pathological_plain_find_is_charged_for_its_work()
    {
        using var obj = Asos.Load("""
            function aso:onGet()
              local hay = ("a"):rep(30000)
              local needle = ("a"):rep(15000) .. "b"
              for i = 1, 50 do string.find(hay, needle, 1, true) end
            end
            """);

        await obj.FailsGet(CometErrorCode.InstructionLimit);
    }

    [Fact]
    public async Task Table_move_over_a_huge_range_is_stopped_before_it_runs()
    {
        using var obj = Asos.Load("function aso:onGet() return table.move({}, 1, 1e8, 1, {}) end");

        await obj.FailsGet(CometErrorCode.InstructionLimit);
    }

    [Fact]
    public async Task String_rep_of_an_empty_string_a_billion_times_returns_at_once()
    {
        // E5: natively 2.8 s of C time each. The post-call time check would fail this handler
        // (TimeLimit) if the empty-string shortcut were gone.
        var runtime = Asos.Runtime(o => o.HandlerTimeout = TimeSpan.FromSeconds(1));
        using var obj = Asos.Load("function aso:onGet() return #string.rep('', 1e9) + #string.rep('', 1e9, '') end", runtime: runtime);

        Assert.Equal(0L, (await obj.Get()).AsInt64());
    }

    [Fact]
    public async Task Table_insert_on_a_table_with_a_huge_border_is_bounded()
    {
        // A sparse table (keys 1, 2, 4, ... 2^27 in its hash part) whose border is 2^27: the
        // native insert would shift 2^27 slots in one C call, unseen by the hook.
        string keys = string.Join(", ", Enumerable.Range(0, 28).Select(k => $"[{1L << k}] = true"));
        using var obj = Asos.Load($$"""
            function aso:onGet()
              local t = { {{keys}} }
              table.insert(t, 1, "x")
            end
            """);

        await obj.FailsGet(CometErrorCode.InstructionLimit);
    }

    [Fact]
    public async Task Table_insert_and_remove_with_a_lying_len_are_bounded()
    {
        using var obj = Asos.Load("""
            function aso:onGet()
              local t = setmetatable({}, {__len = function() return 1 << 27 end})
              table.remove(t, 1)
            end
            """);

        await obj.FailsGet(CometErrorCode.InstructionLimit);
    }

    [Fact]
    public async Task Heap_stays_under_budget_across_many_calls()
    {
        using var obj = Asos.Load("""
            aso.log = {}
            function aso:onGet(caller)
              local s = {}
              for i = 1, 200 do s[i] = tostring(i) end
              self.log[#self.log % 20 + 1] = table.concat(s, ",")
              return #self.log
            end
            """);

        for (int i = 0; i < 300; i++)
        {
            await obj.Get();
        }

        Assert.True(obj.Stats.PeakHeapBytes <= 100 * 1024);
        Assert.True(obj.HeapBytes <= 100 * 1024);
    }

    [Fact]
    public async Task A_backtracking_pattern_stops_at_the_time_limit_even_with_a_huge_instruction_budget()
    {
        // The matcher counted steps against the instruction budget only: with a large budget one
        // find ran for seconds past a 50 ms limit (E5 through the host's own matcher).
        var runtime = Asos.Runtime(o =>
        {
            o.InstructionLimit = int.MaxValue;
            o.HandlerTimeout = TimeSpan.FromMilliseconds(50);
        });
        using var obj = Asos.Load("function aso:onGet() return (string.rep('a', 3000)):find('.-.-b') end", runtime: runtime);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        await obj.FailsGet(CometErrorCode.TimeLimit);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"the call ran {clock.ElapsedMilliseconds} ms");
    }
}
