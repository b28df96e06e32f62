using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static Comet.Sandbox.Native.LuaNative;

namespace Comet.Sandbox.Native;

/// <summary>
/// The C functions the setup chunk hands to the sandbox (besides the guard's
/// <see cref="InstructionGuard.Charge"/> and the pattern matcher): the clock,
/// <c>comet.deleteSelf</c>, and the loaders of lazily loaded libraries. Each reaches its state's
/// <see cref="SandboxBlock"/> through upvalue 1. None of them raises a Lua error or allocates Lua
/// memory (they push only integers, within the LUA_MINSTACK slots every C function gets): the
/// Lua-side wrappers turn their answers into errors.
/// </summary>
internal static unsafe class HostFunctions
{
    public static delegate* unmanaged[Cdecl]<nint, int> Now => &NowFn;
    public static delegate* unmanaged[Cdecl]<nint, int> DeleteSelf => &DeleteSelfFn;
    public static delegate* unmanaged[Cdecl]<nint, int> LoadChunk => &LoadChunkFn;
    public static delegate* unmanaged[Cdecl]<nint, int> OpenLibrary => &OpenLibraryFn;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static SandboxBlock* BlockOf(nint L) => (SandboxBlock*)lua_touserdata(L, lua_upvalueindex(1));

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int NowFn(nint L) => NowBody(L);

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int DeleteSelfFn(nint L) => DeleteSelfBody(L);

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int LoadChunkFn(nint L) => LoadChunkBody(L);

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OpenLibraryFn(nint L) => OpenLibraryBody(L);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int NowBody(nint L)
    {
        long now;
        try
        {
            var block = BlockOf(L);
            var clock = (IAsoClock?)GCHandle.FromIntPtr(block->ClockHandle).Target;
            now = clock?.NowMilliseconds() ?? 0;
        }
#pragma warning disable CA1031 // An exception must never cross into native code; a broken clock reads 0.
        catch (Exception)
#pragma warning restore CA1031
        {
            now = 0;
        }
        lua_pushinteger(L, now);
        return 1;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int DeleteSelfBody(nint L)
    {
        BlockOf(L)->DeleteRequested = 1;
        return 0;
    }

    /// <summary>
    /// <c>loadchunk(id)</c>: loads one of the lazily loaded library chunks (1 patterns, 2 table,
    /// 3 neighbour calls) into the calling state. <c>luaL_loadbufferx</c> is a protected call of
    /// its own: a memory failure comes back as a status, never as a longjmp through here.
    /// Answers the chunk's function, or nil when it did not fit in the heap budget.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int LoadChunkBody(nint L)
    {
        var chunk = ToInteger(L, 1) switch
        {
            1 => PrecompiledChunk.Patterns,
            2 => PrecompiledChunk.Table,
            3 => PrecompiledChunk.Neighbours,
            _ => null,
        };
        int status;
        try
        {
            status = chunk is null ? LUA_ERRRUN : chunk.Load(L);
        }
#pragma warning disable CA1031 // Nothing may unwind into native code.
        catch (Exception)
#pragma warning restore CA1031
        {
            status = -1;
        }
        if (status != LUA_OK)
        {
            if (status > 0 && chunk is not null)
            {
                lua_pop(L, 1);
            }
            lua_pushnil(L);
        }
        return 1;
    }

    /// <summary>
    /// <c>openlib(id)</c>: the opener of math (1) or utf8 (2), as a light C function (pushing it
    /// allocates nothing); the setup chunk calls it from Lua, inside the handler's protection.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int OpenLibraryBody(nint L)
    {
        long id = ToInteger(L, 1);
        if (id == 1)
        {
            lua_pushcclosure(L, LuaLibraries.Math, 0);
        }
        else if (id == 2)
        {
            lua_pushcclosure(L, LuaLibraries.Utf8, 0);
        }
        else
        {
            lua_pushnil(L);
        }
        return 1;
    }
}
