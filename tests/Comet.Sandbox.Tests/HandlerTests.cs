using Comet.Abstractions.Errors;
using Comet.Sandbox.Tests.Support;

namespace Comet.Sandbox.Tests;

public class HandlerTests
{
    private const string HelloWorld = """
        aso.value = "Hello world!"
        aso.getCount = 0
        function aso:onGet(caller)
          self.getCount = self.getCount + 1
          return {self.value, self.getCount}
        end
        """;

    [Fact]
    public async Task OnGet_returns_the_handler_result_and_counts_in_the_object_state()
    {
        using var obj = Asos.Load(HelloWorld);

        var first = await obj.OnGetAsync(Asos.Client());
        var second = await obj.OnGetAsync(Asos.Client());

        Assert.Equal(AsoValue.Array("Hello world!", 1L), first.Result);
        Assert.Equal(AsoValue.Array("Hello world!", 2L), second.Result);
        Assert.True(second.StateChanged);
        Assert.Equal(2L, obj.Data["getCount"].AsInt64());
    }

    [Fact]
    public async Task OnGet_without_handler_returns_aso_value_and_changes_nothing()
    {
        using var obj = Asos.Load("aso.value = 'plain'");

        var outcome = await obj.OnGetAsync(Asos.Client());

        Assert.Equal("plain", outcome.Result.AsString());
        Assert.False(outcome.StateChanged);
        Assert.False(obj.HasOnGet);
    }

    [Fact]
    public async Task OnGet_without_handler_or_value_returns_nil()
    {
        using var obj = Asos.Load("aso.other = 1");

        Assert.True((await obj.Get()).IsNil);
    }

    [Fact]
    public async Task OnGet_that_only_reads_reports_no_state_change()
    {
        using var obj = Asos.Load("aso.value = 5 function aso:onGet() return self.value * 2 end");

        var outcome = await obj.OnGetAsync(Asos.Client());

        Assert.Equal(10L, outcome.Result.AsInt64());
        Assert.False(outcome.StateChanged);
    }

    [Fact]
    public async Task OnGet_result_that_is_not_data_is_a_handler_error()
    {
        using var obj = Asos.Load("function aso:onGet() return {f = print or function() end} end");

        var e = await obj.FailsGet(CometErrorCode.HandlerError);
        Assert.Contains("function", e.Message);
    }

    [Fact]
    public async Task OnPut_accepts_by_default_and_by_returning_anything_but_false()
    {
        using var none = Asos.Load("aso.value = 1");
        using var returnsNil = Asos.Load("function aso:onPut(c) end");
        using var returnsTrue = Asos.Load("function aso:onPut(c) return true end");

        await none.OnPutAsync(Asos.Client());
        await returnsNil.OnPutAsync(Asos.Client());
        await returnsTrue.OnPutAsync(Asos.Client());
        Assert.True(returnsTrue.HasOnPut);
        Assert.False(none.HasOnPut);
    }

    [Fact]
    public async Task OnPut_returning_false_rejects_with_the_reason_given()
    {
        using var obj = Asos.Load("""
            function aso:onPut(caller)
              if caller.id ~= "owner" then return false, "only the owner may store this" end
            end
            """);

        var e = await Asos.Fails(async () => await obj.OnPutAsync(Asos.Client()), CometErrorCode.Rejected);

        Assert.Contains("only the owner may store this", e.Message);
        await obj.OnPutAsync(new AsoCaller(null, "owner", null, null));
    }

    [Fact]
    public async Task OnPut_raising_an_error_fails_with_the_lua_message_and_line()
    {
        using var obj = Asos.Load("""
            aso.value = 1
            function aso:onPut(caller)
              local limits = nil
              return limits.max > 3
            end
            """);

        var e = await Asos.Fails(async () => await obj.OnPutAsync(Asos.Client()), CometErrorCode.HandlerError);

        Assert.StartsWith("aso:onPut line 4: attempt to index a nil value", e.Message);
    }

    [Fact]
    public async Task Error_raised_with_a_string_keeps_the_user_message()
    {
        using var obj = Asos.Load("""
            function aso:onGet(caller)
              error("nope: " .. caller.id)
            end
            """);

        var e = await obj.FailsGet(CometErrorCode.HandlerError);

        Assert.Equal("aso:onGet line 2: nope: client-7", e.Message);
    }

    [Fact]
    public async Task OnUpdate_sees_the_incoming_data_and_may_accept()
    {
        using var obj = Asos.Load("""
            aso.version = 1
            function aso:onUpdate(caller, incoming)
              self.seen = incoming.version
              return incoming.version > self.version
            end
            """);
        var incoming = AsoValue.Table(("version", 2L), ("value", "new"));

        var outcome = await obj.OnUpdateAsync(Asos.Client(), incoming);

        Assert.True(outcome.StateChanged);
        Assert.Equal(2L, obj.Data["seen"].AsInt64());
        Assert.True(obj.HasOnUpdate);
    }

    [Fact]
    public async Task OnUpdate_returning_false_rejects_a_one_time_value()
    {
        using var obj = Asos.Load("""
            aso.value = "secret"
            function aso:onUpdate(caller, incoming) return false end
            """);

        await Asos.Fails(async () => await obj.OnUpdateAsync(Asos.Client(), AsoValue.Table(("value", "x"))), CometErrorCode.Rejected);
        Assert.Equal("secret", obj.Data["value"].AsString());
    }

    [Fact]
    public async Task OnUpdate_incoming_is_a_fresh_copy_each_call_so_writes_to_it_change_nothing()
    {
        using var obj = Asos.Load("""
            aso.kept = nil
            function aso:onUpdate(caller, incoming)
              local before = incoming.n
              incoming.n = 999
              incoming.nested.x = "changed"
              self.kept = before
              return true
            end
            """);
        var incoming = AsoValue.Table(("n", 1L), ("nested", AsoValue.Table(("x", "original"))));

        await obj.OnUpdateAsync(Asos.Client(), incoming);
        await obj.OnUpdateAsync(Asos.Client(), incoming);

        Assert.Equal(1L, obj.Data["kept"].AsInt64());
        Assert.Equal(1L, incoming["n"].AsInt64());
        Assert.Equal("original", incoming["nested"]["x"].AsString());
    }

    [Fact]
    public async Task OnTimer_runs_with_self_only_and_may_change_state()
    {
        using var obj = Asos.Load("""
            aso.ticks = 0
            aso.timerPeriod = 5
            function aso:onTimer(extra)
              assert(extra == nil)
              self.ticks = self.ticks + 1
            end
            """);

        var outcome = await obj.OnTimerAsync();
        await obj.OnTimerAsync();

        Assert.True(outcome.StateChanged);
        Assert.Equal(2L, obj.Data["ticks"].AsInt64());
        Assert.True(obj.HasOnTimer);
    }

    [Fact]
    public async Task Caller_fields_reach_the_handler_and_absent_ones_are_nil()
    {
        using var obj = Asos.Load("""
            function aso:onGet(caller)
              return { ip = caller.ip, id = caller.id, node = caller.node or "none", n = caller.args and caller.args.n }
            end
            """);

        var fromClient = await obj.Get(new AsoCaller("192.0.2.1", "app", null, AsoValue.Table(("n", 3L))));
        var anonymous = await obj.Get(AsoCaller.Anonymous);

        Assert.Equal("192.0.2.1", fromClient["ip"].AsString());
        Assert.Equal("app", fromClient["id"].AsString());
        Assert.Equal("none", fromClient["node"].AsString());
        Assert.Equal(3L, fromClient["n"].AsInt64());
        Assert.Equal(AsoValue.Table(("node", "none")), anonymous);
    }

    [Fact]
    public async Task Caller_node_is_visible_for_requests_from_another_replica()
    {
        using var obj = Asos.Load("function aso:onGet(caller) return caller.node end");

        Assert.Equal("n7", (await obj.Get(Asos.FromNode("n7"))).AsString());
    }

    [Fact]
    public async Task Handler_that_is_not_a_function_is_a_handler_error()
    {
        using var obj = Asos.Load("aso.onGet = 42");

        var e = await obj.FailsGet(CometErrorCode.HandlerError);
        Assert.Contains("aso.onGet is not a function", e.Message);
    }

    [Fact]
    public async Task Non_utf8_strings_round_trip_as_bytes()
    {
        using var obj = Asos.Load("function aso:onGet() return '\\255\\0abc' end");

        var result = await obj.Get();

        Assert.False(result.IsUtf8);
        Assert.Equal(new byte[] { 255, 0, (byte)'a', (byte)'b', (byte)'c' }, result.AsBytes().ToArray());
    }

    [Fact]
    public async Task Utf8_text_crosses_the_boundary_unchanged()
    {
        using var obj = Asos.Load("aso.value = 'héllo wörld ✓' function aso:onGet(c) return self.value .. ' ' .. c.args.s end");

        var result = await obj.Get(Asos.Client(AsoValue.Table(("s", "日本"))));

        Assert.Equal("héllo wörld ✓ 日本", result.AsString());
    }

    [Fact]
    public async Task Integers_and_floats_stay_distinct()
    {
        using var obj = Asos.Load("function aso:onGet() return {1, 1.0, 2^53, 7 // 2, 7 / 2} end");

        var result = await obj.Get();

        Assert.Equal(AsoValueKind.Integer, result[1].Kind);
        Assert.Equal(AsoValueKind.Float, result[2].Kind);
        Assert.Equal(AsoValueKind.Float, result[3].Kind);
        Assert.Equal(3L, result[4].AsInt64());
        Assert.Equal(3.5, result[5].AsDouble());
    }

    [Fact]
    public async Task Concurrent_calls_on_one_object_are_refused()
    {
        var neighbours = new FakeNeighbours { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        using var obj = Asos.Load("function aso:onGet() return comet.lookup()[1] end", neighbours);

        var first = obj.OnGetAsync(Asos.Client());
        Assert.False(first.IsCompleted);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await obj.OnGetAsync(Asos.Client()));
        neighbours.Gate.SetResult();
        Assert.Equal("n1", (await first).Result.AsString());
    }
}
