using Comet.Abstractions.Errors;
using Comet.Sandbox.Tests.Support;

namespace Comet.Sandbox.Tests;

public class NeighbourCallTests
{
    private const string GetFromAll = """
        aso.calls = 0
        function aso:onGet(caller)
          local nodes = comet.lookup()
          local out = {}
          for i = 1, caller.args.rounds do
            local replies = comet.get(comet.getASOKey(), {nodes[(i % #nodes) + 1]}, {round = i})
            out[i] = replies[1].value
          end
          self.calls = self.calls + caller.args.rounds
          return out
        end
        """;

    private static FakeNeighbours Echo(bool async = true) => new()
    {
        Async = async,
        GetReply = (node, args) => AsoValue.FromString($"{node}#{args!["round"].AsInt64()}"),
    };

    [Fact]
    public async Task A_handler_suspends_on_each_neighbour_call_and_resumes_with_the_answer()
    {
        var neighbours = Echo();
        using var obj = Asos.Load(GetFromAll, neighbours);

        var result = await obj.Get(Asos.Client(AsoValue.Table(("rounds", 3L))));

        Assert.Equal(AsoValue.Array("n2#1", "n3#2", "n4#3"), result);
        Assert.Equal(3L, obj.Data["calls"].AsInt64());
        Assert.Equal(3, obj.Stats.NeighbourCalls);
    }

    [Fact]
    public async Task Many_objects_resumed_on_other_threads_all_get_their_own_answers()
    {
        var neighbours = Echo(async: false);
        neighbours.CompleteOnNewThread = true;
        var runtime = Asos.Runtime(o => o.MaxNeighbourCallsPerSecond = 1000);
        var objects = Enumerable.Range(0, 16)
            .Select(i => runtime.Load(Asos.Context(GetFromAll, "key-" + i), GetFromAll, [], neighbours))
            .ToArray();
        try
        {
            var startThread = Environment.CurrentManagedThreadId;
            var runs = objects.Select((obj, i) => Task.Run(async () =>
            {
                var results = new List<AsoValue>();
                for (int turn = 0; turn < 10; turn++)
                {
                    results.Add(await obj.Get(Asos.Client(AsoValue.Table(("rounds", 1L + ((i + turn) % 5))))));
                }
                return results;
            })).ToArray();
            var all = await Task.WhenAll(runs);

            for (int i = 0; i < objects.Length; i++)
            {
                for (int turn = 0; turn < 10; turn++)
                {
                    long rounds = 1 + ((i + turn) % 5);
                    var expected = AsoValue.Array(Enumerable.Range(1, (int)rounds)
                        .Select(r => AsoValue.FromString($"n{(r % 4) + 1}#{r}")).ToArray());
                    Assert.Equal(expected, all[i][turn]);
                }
                long total = Enumerable.Range(0, 10).Sum(turn => 1L + ((i + turn) % 5));
                Assert.Equal(total, objects[i].Data["calls"].AsInt64());
            }
            // The scenario really happened: some handlers resumed on a thread other than the one that
            // suspended them. How many depends on the thread pool under load (279 of 640 was seen in CI),
            // so only their existence is asserted; the answers above are checked exactly.
            Assert.True(neighbours.ThreadSwitches > 0,
                $"handlers resumed on another thread {neighbours.ThreadSwitches} times of {neighbours.CompletionThreads.Count}");
        }
        finally
        {
            foreach (var obj in objects)
            {
                obj.Dispose();
            }
        }
    }

    [Theory]
    [InlineData("comet.lookup()")]
    [InlineData("comet.get(comet.getASOKey(), {'n2'})")]
    [InlineData("comet.put(comet.getASOKey(), {x = 1}, {'n2'})")]
    public async Task A_request_from_another_aso_may_not_make_neighbour_calls(string call)
    {
        var neighbours = new FakeNeighbours();
        using var obj = Asos.Load($"function aso:onGet(caller) {call} return 1 end", neighbours);

        var e = await obj.FailsGet(CometErrorCode.HandlerError, Asos.FromNode());

        Assert.Contains("neighbour calls are not allowed in a request from another ASO", e.Message);
        Assert.Contains("line 1", e.Message);
        Assert.Empty(neighbours.Log);
        Assert.Equal(1L, (await obj.Get(Asos.Client())).AsInt64());
    }

    [Fact]
    public async Task The_no_recursion_error_can_be_caught_but_the_call_is_never_made()
    {
        var neighbours = new FakeNeighbours();
        using var obj = Asos.Load("function aso:onGet() local ok, e = pcall(comet.lookup) return {ok, e} end", neighbours);

        var result = await obj.Get(Asos.FromNode());

        Assert.False(result[1].AsBoolean());
        Assert.Contains("not allowed in a request from another ASO", result[2].AsString());
        Assert.Empty(neighbours.Log);
    }

    [Fact]
    public void Neighbour_calls_are_refused_while_the_code_loads()
    {
        var e = Assert.Throws<AsoException>(() => Asos.Load("local n = comet.lookup()"));

        Assert.Equal(CometErrorCode.BadCode, e.Code);
        Assert.Contains("while the object's code is loading", e.Message);
    }

    [Fact]
    public async Task More_neighbour_calls_than_the_per_handler_cap_are_rate_limited()
    {
        var neighbours = new FakeNeighbours();
        using var obj = Asos.Load("""
            aso.n = 0
            function aso:onGet(caller)
              for i = 1, caller.args.calls do
                comet.get(comet.getASOKey(), {"n2"})
                self.n = self.n + 1
              end
              return self.n
            end
            """, neighbours);

        Assert.Equal(8L, (await obj.Get(Asos.Client(AsoValue.Table(("calls", 8L)))))!.AsInt64());
        var e = await obj.FailsGet(CometErrorCode.RateLimited, Asos.Client(AsoValue.Table(("calls", 9L))));

        Assert.Contains("at most 8 neighbour calls per handler call", e.Message);
        Assert.Equal(8L, obj.Data["n"].AsInt64());
        Assert.Equal(16, neighbours.Log.Count(l => l.StartsWith("get", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Neighbour_calls_beyond_the_per_second_rate_are_limited_until_the_window_moves()
    {
        var clock = new FakeClock();
        using var runtime = new AsoRuntime(new AsoSandboxOptions { MaxNeighbourCallsPerSecond = 5 }, clock);
        using var obj = Asos.Load("function aso:onTimer() comet.put(comet.getASOKey(), {1}, {'n2'}) comet.put(comet.getASOKey(), {2}, {'n3'}) end", runtime: runtime);

        await obj.OnTimerAsync();
        await obj.OnTimerAsync();
        clock.Advance(300);
        var e = await Asos.Fails(async () => await obj.OnTimerAsync(), CometErrorCode.RateLimited);
        Assert.Contains("at most 5 neighbour calls per second", e.Message);

        clock.Advance(1000);
        await obj.OnTimerAsync();
    }

    [Theory]
    [InlineData("comet.get('other-key', {'n2'})", "comet.get: only this object's own key")]
    [InlineData("comet.put('other-key', {}, {'n2'})", "comet.put: only this object's own key")]
    [InlineData("comet.get(comet.getASOKey(), 'n2')", "nodes must be a list")]
    [InlineData("comet.get(comet.getASOKey(), {})", "nodes must be a non-empty list")]
    [InlineData("comet.get(comet.getASOKey(), {1, 2})", "nodes must be a non-empty list")]
    [InlineData("comet.get(comet.getASOKey(), {'n2', 'n2'})", "listed twice")]
    [InlineData("comet.get(comet.getASOKey(), {'elsewhere'})", "'elsewhere' is not one of this key's neighbours")]
    [InlineData("comet.put(comet.getASOKey(), nil, {'n2'})", "data must not be nil")]
    [InlineData("comet.put(comet.getASOKey(), {f = print or tostring}, {'n2'})", "cannot be sent")]
    public async Task Invalid_neighbour_calls_fail_before_anything_is_sent(string call, string message)
    {
        var neighbours = new FakeNeighbours();
        using var obj = Asos.Load($"function aso:onGet() {call} end", neighbours);

        var e = await obj.FailsGet(CometErrorCode.HandlerError);

        Assert.Contains(message, e.Message);
        Assert.DoesNotContain(neighbours.Log, l => l.StartsWith("get", StringComparison.Ordinal) || l.StartsWith("put", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failing_neighbour_call_is_a_lua_error_the_handler_may_catch()
    {
        var neighbours = new FakeNeighbours { Fail = new CometException(CometErrorCode.Unavailable, "silo n2 is down") };
        using var obj = Asos.Load("""
            function aso:onGet(caller)
              local ok, e = pcall(comet.get, comet.getASOKey(), {"n2"})
              if caller.args then local r = comet.get(comet.getASOKey(), {"n2"}) return r end
              return e
            end
            """, neighbours);

        Assert.Equal("comet.get: silo n2 is down", (await obj.Get()).AsString());
        var e = await obj.FailsGet(CometErrorCode.HandlerError, Asos.Client(AsoValue.True));
        Assert.Equal("aso:onGet line 3: comet.get: silo n2 is down", e.Message);
    }

    [Fact]
    public async Task Cancelling_a_suspended_handler_aborts_it_and_restores_the_state()
    {
        var neighbours = new FakeNeighbours { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        using var obj = Asos.Load("""
            aso.n = 0
            function aso:onGet()
              self.n = self.n + 1
              comet.get(comet.getASOKey(), {"n2"})
              return self.n
            end
            """, neighbours);
        using var cts = new CancellationTokenSource();

        var call = obj.OnGetAsync(Asos.Client(), cts.Token);
        Assert.False(call.IsCompleted);
        cts.Cancel();
        neighbours.Gate.SetResult();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await call);
        Assert.Equal(0L, obj.Data["n"].AsInt64());
        Assert.Equal(1L, (await obj.Get()).AsInt64());
    }

    [Fact]
    public async Task The_instruction_budget_carries_across_resumes()
    {
        using var obj = Asos.Load("""
            function aso:onGet()
              local x = 0
              for i = 1, 20000 do x = x + i end
              comet.lookup()
              for i = 1, 20000 do x = x + i end
              comet.get(comet.getASOKey(), {"n2"})
              for i = 1, 20000 do x = x + i end
              return x
            end
            """);

        // Each loop alone is ~40k instructions, well under the 100k limit; together they are not.
        await obj.FailsGet(CometErrorCode.InstructionLimit, Asos.Client());
    }

    [Fact]
    public async Task Time_spent_awaiting_neighbours_does_not_count_against_the_handler_timeout()
    {
        var runtime = Asos.Runtime(o => o.HandlerTimeout = TimeSpan.FromMilliseconds(200));
        var neighbours = new FakeNeighbours { Delay = TimeSpan.FromMilliseconds(300) };
        using var obj = Asos.Load("function aso:onGet() comet.lookup() return comet.get(comet.getASOKey(), {'n1'})[1].value end", neighbours, runtime);

        Assert.Equal("value@n1", (await obj.Get()).AsString());
    }

    [Fact]
    public async Task A_neighbour_call_may_suspend_inside_pcall_and_inside_gsub()
    {
        using var obj = Asos.Load("""
            function aso:onGet()
              local ok, replies = pcall(comet.get, comet.getASOKey(), {"n3"})
              local text = ("n2 n4"):gsub("%w+", function(node) return comet.get(comet.getASOKey(), {node})[1].value end)
              return {ok, replies[1].value, text}
            end
            """, new FakeNeighbours { Async = true });

        Assert.Equal(AsoValue.Array(true, "value@n3", "value@n2 value@n4"), await obj.Get());
    }

    [Fact]
    public async Task A_neighbour_call_from_a_c_boundary_is_a_clear_error()
    {
        using var obj = Asos.Load("""
            function aso:onGet()
              table.sort({3, 1, 2}, function(a, b) comet.lookup() return a < b end)
            end
            """, new FakeNeighbours { Async = true });

        var e = await obj.FailsGet(CometErrorCode.HandlerError);

        Assert.Contains("attempt to yield across a C-call boundary", e.Message);
    }
}
