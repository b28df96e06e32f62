using Comet.Abstractions.Errors;
using Comet.Sandbox.Tests.Support;

namespace Comet.Sandbox.Tests;

/// <summary>E6: whatever a failing handler wrote, the object is exactly as before the call.</summary>
public class RollbackTests
{
    private const string Code = """
        aso.count = 1
        aso.nested = { list = {1, 2}, name = "a" }
        aso.gone = "still here"
        local function mutate(self)
          self.count = self.count + 1
          self.nested.list[3] = 3
          self.nested.name = "b"
          self.added = { deep = true }
          self.gone = nil
          self.onTimer = nil
          comet.deleteSelf()
        end
        function aso:onGet(caller)
          if caller.args == nil then return self.count end
          mutate(self)
          local kind = caller.args
          if kind == "error" then error("boom")
          elseif kind == "loop" then while true do end
          elseif kind == "memory" then local t = {} for i = 1, 1e7 do t[i] = i end
          elseif kind == "notdata" then self.bad = { f = function() end }
          elseif kind == "cycle" then self.nested.self = self.nested
          elseif kind == "toolarge" then self.big = ("x"):rep(5000)
          elseif kind == "ratelimit" then for i = 1, 20 do comet.get(comet.getASOKey(), {"n2"}) end
          elseif kind == "badresult" then return { print or function() end }
          end
          return "succeeded"
        end
        function aso:onPut(caller) mutate(self) return false, "no" end
        function aso:onUpdate(caller, incoming) mutate(self) return false end
        function aso:onTimer() return "timer still defined" end
        """;

    [Theory]
    [InlineData("error", CometErrorCode.HandlerError)]
    [InlineData("loop", CometErrorCode.InstructionLimit)]
    [InlineData("memory", CometErrorCode.MemoryLimit)]
    [InlineData("notdata", CometErrorCode.HandlerError)]
    [InlineData("cycle", CometErrorCode.HandlerError)]
    [InlineData("toolarge", CometErrorCode.TooLarge)]
    [InlineData("ratelimit", CometErrorCode.RateLimited)]
    [InlineData("badresult", CometErrorCode.HandlerError)]
    public async Task A_failed_get_leaves_the_object_exactly_as_before(string kind, CometErrorCode code)
    {
        var runtime = Asos.Runtime(o => o.MaxStateBytes = 4096);
        using var obj = Asos.Load(Code, runtime: runtime);
        var before = obj.EncodeState();

        await obj.FailsGet(code, Asos.Client(kind));

        AssertUnchanged(obj, before);
        Assert.Equal(1L, (await obj.Get()).AsInt64());
    }

    [Fact]
    public async Task A_get_past_the_time_limit_leaves_the_object_exactly_as_before()
    {
        var runtime = Asos.Runtime(o =>
        {
            o.InstructionLimit = int.MaxValue;
            o.HandlerTimeout = TimeSpan.FromMilliseconds(30);
        });
        using var obj = Asos.Load(Code, runtime: runtime);
        var before = obj.EncodeState();

        await obj.FailsGet(CometErrorCode.TimeLimit, Asos.Client("loop"));

        AssertUnchanged(obj, before);
    }

    [Fact]
    public async Task A_rejected_put_or_update_leaves_the_object_exactly_as_before()
    {
        using var obj = Asos.Load(Code);
        var before = obj.EncodeState();

        await Asos.Fails(async () => await obj.OnPutAsync(Asos.Client()), CometErrorCode.Rejected);
        AssertUnchanged(obj, before);
        await Asos.Fails(async () => await obj.OnUpdateAsync(Asos.Client(), AsoValue.Table(("count", 99L))), CometErrorCode.Rejected);
        AssertUnchanged(obj, before);
    }

    [Fact]
    public async Task After_rollback_the_object_keeps_working_and_changing()
    {
        using var obj = Asos.Load("aso.n = 0 function aso:onGet(c) self.n = self.n + 1 if c.args then error('x') end return self.n end");

        Assert.Equal(1L, (await obj.Get()).AsInt64());
        await obj.FailsGet(CometErrorCode.HandlerError, Asos.Client(AsoValue.True));
        await obj.FailsGet(CometErrorCode.HandlerError, Asos.Client(AsoValue.True));
        Assert.Equal(2L, (await obj.Get()).AsInt64());
        Assert.Equal(2L, obj.Data["n"].AsInt64());
    }

    [Fact]
    public async Task Failures_are_counted_by_code()
    {
        var runtime = Asos.Runtime(o => o.MaxStateBytes = 4096);
        using var obj = Asos.Load(Code, runtime: runtime);

        await obj.Get();
        await obj.FailsGet(CometErrorCode.HandlerError, Asos.Client("error"));
        await obj.FailsGet(CometErrorCode.InstructionLimit, Asos.Client("loop"));
        await obj.FailsGet(CometErrorCode.InstructionLimit, Asos.Client("loop"));

        var stats = obj.Stats;
        Assert.Equal(4, stats.Calls);
        Assert.Equal(3, stats.Failures);
        Assert.Equal(1, stats.FailuresByCode[CometErrorCode.HandlerError]);
        Assert.Equal(2, stats.FailuresByCode[CometErrorCode.InstructionLimit]);
        Assert.True(stats.HeapBytes > 0 && stats.PeakHeapBytes >= stats.HeapBytes);
    }

    private static void AssertUnchanged(AsoObject obj, byte[] before)
    {
        Assert.Equal(before, obj.EncodeState());
        var data = obj.Data;
        Assert.Equal(1L, data["count"].AsInt64());
        Assert.Equal(AsoValue.Table(("list", AsoValue.Array(1L, 2L)), ("name", "a")), data["nested"]);
        Assert.Equal("still here", data["gone"].AsString());
        Assert.True(data["added"].IsNil);
        Assert.True(obj.HasOnTimer, "functions the failed call removed are back");
        Assert.False(obj.DeleteRequested);
    }
}
