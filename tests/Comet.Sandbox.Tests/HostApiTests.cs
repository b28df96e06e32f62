using Comet.Sandbox.Tests.Support;

namespace Comet.Sandbox.Tests;

public class HostApiTests
{
    [Fact]
    public async Task GetSystemTime_answers_the_runtime_clock_in_milliseconds()
    {
        var clock = new FakeClock(1_234_567);
        using var runtime = new AsoRuntime(new AsoSandboxOptions(), clock);
        using var obj = Asos.Load("function aso:onGet() return comet.getSystemTime() end", runtime: runtime);

        Assert.Equal(1_234_567L, (await obj.Get()).AsInt64());
        clock.Advance(500);
        Assert.Equal(1_235_067L, (await obj.Get()).AsInt64());
    }

    [Fact]
    public async Task GetSystemTime_defaults_to_the_system_clock()
    {
        using var obj = Asos.Load("function aso:onGet() return comet.getSystemTime() end");
        long before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        long now = (await obj.Get()).AsInt64();

        Assert.InRange(now, before - 1000, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 1000);
    }

    [Fact]
    public async Task Node_ip_node_id_and_key_describe_this_replica()
    {
        using var obj = Asos.Default.Load(new AsoContext("ns", "my-key", "silo-3", "10.1.2.3", ""),
            "function aso:onGet() return {comet.getNodeIP(), comet.getNodeID(), comet.getASOKey()} end", [], new FakeNeighbours());

        Assert.Equal(AsoValue.Array("10.1.2.3", "silo-3", "my-key"), await obj.Get());
    }

    [Fact]
    public async Task DeleteSelf_is_reported_for_the_call_that_made_it()
    {
        using var obj = Asos.Load("""
            function aso:onGet(caller)
              if caller.args and caller.args.delete then comet.deleteSelf() end
              return 1
            end
            """);

        var keep = await obj.OnGetAsync(Asos.Client());
        var delete = await obj.OnGetAsync(Asos.Client(AsoValue.Table(("delete", true))));
        var again = await obj.OnGetAsync(Asos.Client());

        Assert.False(keep.DeleteRequested);
        Assert.True(delete.DeleteRequested);
        Assert.False(again.DeleteRequested);
    }

    [Fact]
    public async Task DeleteSelf_in_a_failed_call_is_forgotten()
    {
        using var obj = Asos.Load("function aso:onGet() comet.deleteSelf() error('changed my mind') end");

        await obj.FailsGet(Abstractions.Errors.CometErrorCode.HandlerError);

        Assert.False(obj.DeleteRequested);
    }

    [Fact]
    public void TimerPeriod_and_ttl_are_read_from_the_object_and_the_period_is_clamped()
    {
        using var fast = Asos.Load("aso.timerPeriod = 0.01 aso.ttl = 3600");
        using var slow = Asos.Load("aso.timerPeriod = 30 aso.ttl = -5");
        using var none = Asos.Load("aso.timerPeriod = 'often'");

        Assert.Equal(1.0, fast.TimerPeriodSeconds);
        Assert.Equal(3600.0, fast.TtlSeconds);
        Assert.Equal(30.0, slow.TimerPeriodSeconds);
        Assert.Equal(0.0, slow.TtlSeconds);
        Assert.Null(none.TimerPeriodSeconds);
        Assert.Null(none.TtlSeconds);
    }

    [Theory]
    [InlineData("1e300")]
    [InlineData("1e7")]
    [InlineData("1/0")]
    public void A_timer_period_longer_than_any_timer_is_refused_when_first_stored(string period)
    {
        var e = Assert.Throws<AsoException>(() => Asos.Load($"aso.timerPeriod = {period}"));

        Assert.Equal(Abstractions.Errors.CometErrorCode.BadCode, e.Code);
        Assert.Contains("timerPeriod", e.Message);
    }

    [Fact]
    public async Task Periods_and_ttls_set_later_by_handlers_are_clamped_to_what_timers_and_expiry_times_hold()
    {
        using var obj = Asos.Load("aso.timerPeriod = 10 function aso:onTimer() self.timerPeriod = 1e300 self.ttl = 1e300 end");

        await obj.OnTimerAsync();

        Assert.Equal(new AsoSandboxOptions().MaxTimerPeriodSeconds, obj.TimerPeriodSeconds);
        Assert.Equal(AsoSandboxOptions.MaxTtlSeconds, obj.TtlSeconds);
        _ = TimeSpan.FromSeconds(obj.TimerPeriodSeconds!.Value);
        _ = checked(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + (long)(obj.TtlSeconds!.Value * 1000));
    }

    [Theory]
    [InlineData("{\"a\":\"\\udc00\"}")]
    [InlineData("{\"\\ud800\":1}")]
    public void Json_with_a_lone_surrogate_is_a_bad_request(string json)
    {
        var e = Assert.Throws<AsoException>(() => AsoJson.Parse(json));

        Assert.Equal(Abstractions.Errors.CometErrorCode.BadRequest, e.Code);
    }

    [Fact]
    public async Task TimerPeriod_follows_changes_made_by_handlers()
    {
        using var obj = Asos.Load("aso.timerPeriod = 10 function aso:onTimer() self.timerPeriod = 20 end");

        await obj.OnTimerAsync();

        Assert.Equal(20.0, obj.TimerPeriodSeconds);
    }

    [Fact]
    public async Task Lookup_returns_the_neighbour_node_ids_as_a_lua_array()
    {
        var neighbours = new FakeNeighbours("a", "b", "c");
        using var obj = Asos.Load("function aso:onGet() local n = comet.lookup() return {#n, n[1], n[3]} end", neighbours);

        Assert.Equal(AsoValue.Array(3L, "a", "c"), await obj.Get());
    }

    [Fact]
    public async Task Get_returns_one_record_per_reply_with_node_ok_and_value()
    {
        var neighbours = new FakeNeighbours { GetReply = (node, args) => AsoValue.FromString(node + ":" + args!["q"].AsString()) };
        using var obj = Asos.Load("""
            function aso:onGet()
              local nodes = comet.lookup()
              local replies = comet.get(comet.getASOKey(), {nodes[2], nodes[3]}, {q = "x"})
              local out = {}
              for i, r in ipairs(replies) do out[i] = {r.node, r.ok, r.value, r.error == nil} end
              return out
            end
            """, neighbours);

        var result = await obj.Get();

        Assert.Equal(AsoValue.Array(AsoValue.Array("n2", true, "n2:x", true), AsoValue.Array("n3", true, "n3:x", true)), result);
        Assert.Contains("get n2,n3", neighbours.Log);
    }

    [Fact]
    public async Task Put_ships_the_data_and_returns_per_node_outcomes()
    {
        var neighbours = new FakeNeighbours("n1", "n2", "down");
        using var obj = Asos.Load("""
            aso.value = "v1"
            function aso:onPut()
              local replies = comet.put(comet.getASOKey(), {value = self.value, copies = 2}, {"n2", "down"})
              self.report = {}
              for i, r in ipairs(replies) do self.report[i] = r.ok and r.node or (r.node .. ": " .. r.error) end
            end
            """, neighbours);

        await obj.OnPutAsync(Asos.Client());

        Assert.Equal(AsoValue.Array("n2", "down: unreachable"), obj.Data["report"]);
        Assert.True(neighbours.Puts.TryDequeue(out var put));
        Assert.Equal(new[] { "n2", "down" }, put.Nodes);
        Assert.Equal(AsoValue.Table(("value", "v1"), ("copies", 2L)), put.Data);
    }

    [Fact]
    public async Task Lookup_is_asked_once_per_handler_call()
    {
        var neighbours = new FakeNeighbours();
        using var obj = Asos.Load("""
            function aso:onGet()
              local a = comet.lookup()
              local b = comet.lookup()
              comet.get(comet.getASOKey(), {a[1]})
              return #b
            end
            """, neighbours);

        await obj.Get();
        await obj.Get();

        Assert.Equal(2, neighbours.LookupCalls);
    }
}
