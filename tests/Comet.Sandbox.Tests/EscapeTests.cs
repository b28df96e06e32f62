using Comet.Abstractions.Errors;
using Comet.Sandbox.Native;
using Comet.Sandbox.Tests.Support;

namespace Comet.Sandbox.Tests;

/// <summary>The escapes of SANDBOX.md (E1–E7) and the forbidden globals, each proven closed.</summary>
public class EscapeTests
{
    [Theory]
    [InlineData("io")]
    [InlineData("os")]
    [InlineData("debug")]
    [InlineData("package")]
    [InlineData("require")]
    [InlineData("load")]
    [InlineData("loadstring")]
    [InlineData("dofile")]
    [InlineData("loadfile")]
    [InlineData("collectgarbage")]
    [InlineData("coroutine")]
    [InlineData("xpcall")]
    [InlineData("print")]
    [InlineData("warn")]
    [InlineData("module")]
    [InlineData("setfenv")]
    [InlineData("getfenv")]
    [InlineData("newproxy")]
    [InlineData("string.dump")]
    [InlineData("_G.debug")]
    [InlineData("_G._G.os")]
    [InlineData("('').dump")]
    [InlineData("getmetatable('')")]
    [InlineData("getmetatable(string)")]
    [InlineData("getmetatable(_G)")]
    [InlineData("getmetatable(comet)")]
    public async Task Forbidden_names_are_unreachable(string expression)
    {
        using var obj = Asos.Load($"function aso:onGet() return {expression} end");

        var value = await obj.Get();

        Assert.True(value.IsNil || value.Equals(AsoValue.False), $"{expression} gave {value}");
    }

    [Fact]
    public async Task The_allowed_library_is_there()
    {
        using var obj = Asos.Load("""
            function aso:onGet()
              local names = {"assert", "error", "ipairs", "next", "pairs", "pcall", "rawequal", "rawget", "rawlen",
                "rawset", "select", "tonumber", "tostring", "type", "setmetatable", "getmetatable", "unpack"}
              for _, n in ipairs(names) do assert(type(_G[n]) == "function", n) end
              assert(math.floor(2.5) == 2 and math.max(1, 3) == 3 and math.type(1) == "integer")
              assert(type(math.random()) == "number")
              assert(utf8.char(233) == "é" and utf8.len("é") == 1)
              assert(table.concat({1, 2}, ",") == "1,2" and select(2, table.unpack({1, 2})) == 2)
              local t = {3, 1, 2}; table.sort(t); assert(t[1] == 1)
              assert(("x"):upper() == "X" and string.format("%d", 5) == "5" and #("abc"):reverse() == 3)
              assert(tostring(nil) == "nil" and tonumber("10") == 10)
              return true
            end
            """);

        Assert.True((await obj.Get()).AsBoolean());
    }

    [Fact]
    public async Task No_dangerous_C_function_is_reachable_from_anything_user_code_can_reach()
    {
        using var obj = Asos.Load("""
            function aso:onGet()
              -- Load every lazily loaded part, so that the walk sees it all.
              local _ = string.find("a", "a"), string.gsub("a", "a", "b"), table.insert({}, 1), math.abs(-1), utf8.char(65), comet.lookup()
              for _ in string.gmatch("ab", ".") do end
              return string.match("a", "a")
            end
            """);
        await obj.Get();
        var forbidden = LuaInspector.ForbiddenCFunctions();
        Assert.True(forbidden.Count > 40, "the reference state should name the forbidden functions");

        var reachable = LuaInspector.ReachableCFunctions(obj.LuaState);

        var leaks = reachable.Where(forbidden.ContainsKey).Select(f => forbidden[f]).ToList();
        Assert.Empty(leaks);
        Assert.True(reachable.Count > 20, "the walk should find the allowed C functions");
    }

    [Fact]
    public async Task E1_scripts_cannot_make_coroutines_the_hook_does_not_follow()
    {
        using var obj = Asos.Load("""
            function aso:onGet()
              -- 300k iterations, far past the limit: unguarded in a script-made coroutine, it would
              -- complete (and this test fail) instead of being refused.
              local ok = pcall(function()
                return coroutine.wrap(function() local x = 0 for i = 1, 300000 do x = x + 1 end return x end)()
              end)
              return ok
            end
            """);

        Assert.False((await obj.Get()).AsBoolean());
    }

    [Fact]
    public async Task E2_xpcall_handlers_cannot_run_with_hooks_off()
    {
        // Were xpcall there, its handler would run with hooks off; this one returns at once so
        // that a regression fails the assertion instead of hanging the test run.
        using var obj = Asos.Load("function aso:onGet() return xpcall(function() while true do end end, function() return 'handled' end) end");

        var e = await obj.FailsGet(CometErrorCode.HandlerError);

        Assert.Contains("attempt to call a nil value", e.Message);
    }

    [Theory]
    [InlineData("__gc")]
    [InlineData("__close")]
    public async Task E3_metatables_with_finalizers_or_close_handlers_are_refused(string field)
    {
        using var obj = Asos.Load($"function aso:onGet() setmetatable({{}}, {{{field} = function() while true do end end}}) end");

        var e = await obj.FailsGet(CometErrorCode.HandlerError);

        Assert.Contains("__gc and __close metamethods are not allowed", e.Message);
    }

    [Fact]
    public async Task E3_a_gc_field_added_after_setmetatable_never_runs()
    {
        var obj = Asos.Load("""
            function aso:onGet()
              for i = 1, 200 do
                local mt = {}
                local t = setmetatable({}, mt)
                mt.__gc = function() while true do end end
              end
            end
            """);
        await obj.Get();

        // lua_close runs pending finalizers, with no hook: a registered one would never return.
        var dispose = Task.Run(obj.Dispose);
        Assert.True(await Task.WhenAny(dispose, Task.Delay(TimeSpan.FromSeconds(30))) == dispose, "Dispose hung in a finalizer");
    }

    [Fact]
    public async Task E3_to_be_closed_variables_need_a_close_handler_so_cannot_be_used()
    {
        using var obj = Asos.Load("function aso:onGet() local x <close> = {} end");

        await obj.FailsGet(CometErrorCode.HandlerError);
    }

    [Fact]
    public async Task E4_after_a_killed_call_every_later_call_is_still_guarded()
    {
        using var obj = Asos.Load("""
            function aso:onGet(caller)
              if caller.args == "sort" then
                table.sort({3, 2, 1, 4, 5}, function(a, b) while true do end end)
              elseif caller.args == "nested" then
                pcall(pcall, function() while true do end end)
                while true do end
              elseif caller.args == "loop" then
                while true do end
              end
              return "ok"
            end
            """);

        for (int round = 0; round < 3; round++)
        {
            foreach (var kind in new[] { "loop", "sort", "nested" })
            {
                await obj.FailsGet(CometErrorCode.InstructionLimit, Asos.Client(kind));
                Assert.Equal("ok", (await obj.Get()).AsString());
            }
        }
    }

    [Fact]
    public async Task E4_a_coroutine_that_finished_cleanly_is_rearmed_for_the_next_call()
    {
        using var obj = Asos.Load("""
            function aso:onGet(caller)
              if caller.args then while true do end end
              return pcall(error, "caught")
            end
            """);

        for (int i = 0; i < 5; i++)
        {
            Assert.False((await obj.Get()).AsBoolean());
            await obj.FailsGet(CometErrorCode.InstructionLimit, Asos.Client(AsoValue.True));
        }
    }

    [Fact]
    public async Task E7_user_metamethods_never_run_outside_a_protected_call()
    {
        // Every metamethod here would hang or raise if host code used non-raw access on these
        // tables (encoding the state, reading results, formatting errors).
        using var obj = Asos.Load("""
            local evil = {
              __index = function() while true do end end,
              __newindex = function() error("newindex") end,
              __pairs = function() while true do end end,
              __len = function() while true do end end,
              __eq = function() while true do end end,
              __tostring = function() while true do end end,
              __name = "evil",
            }
            function aso:onGet(caller)
              if caller.args == "error" then error(setmetatable({}, evil)) end
              rawset(self, "n", (rawget(self, "n") or 0) + 1)
              return setmetatable({y = 2}, evil)
            end
            aso.data = setmetatable({x = 1}, evil)
            setmetatable(aso, evil)
            """);

        var result = await obj.Get();
        var e = await obj.FailsGet(CometErrorCode.HandlerError, Asos.Client("error"));

        Assert.Equal(AsoValue.Table(("y", 2L)), result);
        Assert.Equal("aso:onGet: error object is a table value", e.Message);
        Assert.Equal(AsoValue.Table(("x", 1L)), obj.Data["data"]);
        Assert.Equal(1L, obj.Data["n"].AsInt64());
    }

    [Fact]
    public async Task E7_host_pushes_never_fail_even_when_the_heap_is_full()
    {
        using var obj = Asos.Load("""
            aso.fill = {}
            function aso:onPut(caller)
              local i = #self.fill
              while pcall(function() i = i + 1; self.fill[i] = ("x"):rep(60) .. i end) do end
              self.fill[i] = nil
            end
            function aso:onGet(caller)
              return #caller.args
            end
            """);
        await obj.OnPutAsync(Asos.Client());
        long full = obj.HeapBytes;
        var big = AsoValue.Array(Enumerable.Range(0, 2000).Select(i => AsoValue.FromString("argument " + i)).ToArray());

        // The host pushes the arguments past the budget (it must never fail there); the handler
        // then runs with no room to grow and fails cleanly, or succeeds if it needs none.
        try
        {
            Assert.Equal(2000L, (await obj.Get(Asos.Client(big))).AsInt64());
        }
        catch (AsoException e)
        {
            Assert.Equal(CometErrorCode.MemoryLimit, e.Code);
        }
        // The call's garbage is collected at its end; what remains over budget (Lua's string
        // table grown by the 2000 pushed strings shrinks by half per collection) is transient.
        Assert.True(obj.HeapBytes < 2 * 100 * 1024, $"heap {obj.HeapBytes} after the call, {full} before");
        Assert.Equal(0L, (await obj.Get(Asos.Client(AsoValue.EmptyTable))).AsInt64());
        Assert.True(obj.Data["fill"].Count > 100, "the object's data survived");
    }

    [Fact]
    public async Task The_string_metatable_index_is_the_sandboxed_string_table()
    {
        using var obj = Asos.Load("""
            function aso:onGet()
              string.extra = function() return "mine" end
              return {("x"):extra(), ("").dump == nil, ("abc"):find("b")}
            end
            """);

        Assert.Equal(AsoValue.Array("mine", true, 2L, 2L), await obj.Get());
    }

    [Fact]
    public async Task Replacing_library_functions_does_not_break_the_sandbox_internals()
    {
        using var obj = Asos.Load("""
            function aso:onGet()
              string.sub = nil; string.byte = nil; string.format = nil; table.concat = nil
              type = nil; error = nil; tostring = nil; select = nil
              return {("a-b"):gsub("-", "+")}
            end
            """);

        Assert.Equal(AsoValue.Array("a+b", 1L), await obj.Get());
    }

    [Fact]
    public void Bytecode_is_refused_even_when_it_is_valid_lua_bytecode()
    {
        string bytecode = string.Concat(PrecompiledChunk.Setup.Bytecode.ToArray().Select(b => (char)b));
        Assert.StartsWith("\u001bLua", bytecode, StringComparison.Ordinal);

        var validate = Assert.Throws<AsoException>(() => AsoRuntime.ValidateCode(bytecode, new AsoSandboxOptions()));
        var load = Assert.Throws<AsoException>(() => Asos.Load(bytecode));

        Assert.Equal(CometErrorCode.BadCode, validate.Code);
        Assert.Equal(CometErrorCode.BadCode, load.Code);
        Assert.Contains("bytecode", validate.Message);
    }

    [Fact]
    public void Source_hiding_bytecode_after_a_newline_is_a_syntax_error()
    {
        var e = Assert.Throws<AsoException>(() => AsoRuntime.ValidateCode("\n\u001bLuaT", new AsoSandboxOptions()));

        Assert.Equal(CometErrorCode.BadCode, e.Code);
        Assert.StartsWith("line 2:", e.Message);
    }
}
