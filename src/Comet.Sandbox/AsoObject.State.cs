using Comet.Abstractions.Errors;
using Comet.Sandbox.State;
using static Comet.Sandbox.Native.LuaNative;

namespace Comet.Sandbox;

/// <summary>
/// The object's Lua-side state: loading the code, binding <c>aso</c>, reading fields, and
/// putting the data back after a failed call (E6).
/// </summary>
public sealed partial class AsoObject
{
    internal void Initialize(byte[] code, ReadOnlySpan<byte> persistedState)
    {
        BeginCall(WhichChunk);
        try
        {
            nint L = _state.L;
            int status = _state.LoadUserCode(code);
            if (status != LUA_OK)
            {
                string message = LuaErrors.Describe(L, -1);
                lua_settop(L, 0);
                throw status == LUA_ERRMEM
                    ? new AsoException(CometErrorCode.MemoryLimit, $"The code does not fit in the object's {_options.MemoryLimitBytes}-byte Lua heap.")
                    : new AsoException(CometErrorCode.BadCode, LuaErrors.ForSyntax(message));
            }
            nint co = NewThread();
            lua_rawgeti(co, LUA_REGISTRYINDEX, _state.RunRef);
            lua_pushnil(co);
            lua_pushinteger(co, WhichChunk);
            lua_pushnil(co);
            lua_xmove(L, co, 1);
            lua_pushnil(co);
            lua_pushboolean(co, 0);
            status = _state.Resume(co, 6, _timeoutTicks, ref _activeTicks, out int nres);
            var failure = Classify(status, nres, out _);
            if (failure is not null)
            {
                throw failure.Code == CometErrorCode.HandlerError
                    ? new AsoException(CometErrorCode.BadCode, failure.Message)
                    : failure;
            }
            if (status == LUA_YIELD)
            {
                throw new AsoException(CometErrorCode.BadCode, "aso:chunk: the code yielded while loading.");
            }
            BindAsoTable();
            if (!persistedState.IsEmpty)
            {
                var data = AsoStateCodec.Decode(persistedState);
                if (data.Kind != AsoValueKind.Table)
                {
                    throw new AsoException(CometErrorCode.BadRequest, "The persisted state is not a table of data fields.");
                }
                EnsureFits(LuaHeapCost.Of(data, _state.HeapLimit), "the restored data fields");
                RestoreFields(data);
            }
            var commitFailure = Commit(out _);
            if (commitFailure is not null)
            {
                throw commitFailure.Code == CometErrorCode.HandlerError
                    ? new AsoException(CometErrorCode.BadCode, commitFailure.Message)
                    : commitFailure;
            }
            // The setup and the chunk leave garbage (parser buffers, setup temporaries): collect
            // it now, so that a resident object holds only what it uses.
            _state.Collect();
        }
        finally
        {
            EndCall();
        }
    }

    /// <summary>Keeps the object's <c>aso</c> table, and the functions the code defined on it, in the registry.</summary>
    private void BindAsoTable()
    {
        nint L = _state.L;
        lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
        PushBytes(L, "aso"u8);
        if (lua_rawget(L, -2) != LUA_TTABLE)
        {
            lua_settop(L, 0);
            throw new AsoException(CometErrorCode.BadCode, "The code must leave the global 'aso' a table.");
        }
        int aso = lua_gettop(L);
        lua_createtable(L, 0, 4);
        int functions = lua_gettop(L);
        lua_pushnil(L);
        while (lua_next(L, aso) != 0)
        {
            if (lua_type(L, -1) == LUA_TFUNCTION)
            {
                lua_pushvalue(L, -2);
                lua_rotate(L, -2, 1);
                lua_rawset(L, functions);
            }
            else
            {
                lua_pop(L, 1);
            }
        }
        _functionsRef = luaL_ref(L, LUA_REGISTRYINDEX);
        _asoRef = luaL_ref(L, LUA_REGISTRYINDEX);
        lua_settop(L, 0);
    }

    /// <summary>Puts <c>aso</c> back to the committed data and the code's functions.</summary>
    private void Rollback()
    {
        if (_asoRef == 0)
        {
            return;
        }
        var data = _committed.Length == 0 ? AsoValue.EmptyTable : AsoStateCodec.Decode(_committed);
        RestoreFields(data);
        // Reclaim what the failed call left behind (once its coroutine is dropped), so that the
        // next call starts within budget.
        _collectAfterCall |= _state.RefusedAllocations > 0 || _state.HeapUsed > _state.HeapLimit;
    }

    /// <summary>Replaces every field of <c>aso</c>: the code's functions, then <paramref name="data"/>.</summary>
    private void RestoreFields(AsoValue data)
    {
        nint L = _state.L;
        int top = lua_gettop(L);
        lua_rawgeti(L, LUA_REGISTRYINDEX, _asoRef);
        int aso = lua_gettop(L);
        // Clearing existing fields during a traversal is allowed (lua_next's contract).
        lua_pushnil(L);
        while (lua_next(L, aso) != 0)
        {
            lua_pop(L, 1);
            lua_pushvalue(L, -1);
            lua_pushnil(L);
            lua_rawset(L, aso);
        }
        lua_rawgeti(L, LUA_REGISTRYINDEX, _functionsRef);
        int functions = lua_gettop(L);
        lua_pushnil(L);
        while (lua_next(L, functions) != 0)
        {
            lua_pushvalue(L, -2);
            lua_rotate(L, -2, 1);
            lua_rawset(L, aso);
        }
        var array = data.ArrayItems;
        for (int i = 0; i < array.Length; i++)
        {
            LuaDataWriter.Push(L, array[i]);
            lua_rawseti(L, aso, i + 1);
        }
        foreach (var (key, value) in data.MapItems)
        {
            LuaDataWriter.Push(L, key);
            LuaDataWriter.Push(L, value);
            lua_rawset(L, aso);
        }
        lua_settop(L, top);
    }

    private double? NumberField(ReadOnlySpan<byte> name)
    {
        if (_closed || _asoRef == 0)
        {
            return null;
        }
        nint L = _state.L;
        int top = lua_gettop(L);
        try
        {
            lua_rawgeti(L, LUA_REGISTRYINDEX, _asoRef);
            PushBytes(L, name);
            return lua_rawget(L, -2) == LUA_TNUMBER ? ToNumber(L, -1) : null;
        }
        finally
        {
            lua_settop(L, top);
        }
    }

    private bool HasFunction(ReadOnlySpan<byte> name)
    {
        if (_closed || _asoRef == 0)
        {
            return false;
        }
        nint L = _state.L;
        int top = lua_gettop(L);
        try
        {
            lua_rawgeti(L, LUA_REGISTRYINDEX, _asoRef);
            PushBytes(L, name);
            return lua_rawget(L, -2) == LUA_TFUNCTION;
        }
        finally
        {
            lua_settop(L, top);
        }
    }
}
