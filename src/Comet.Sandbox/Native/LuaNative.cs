using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Comet.Sandbox.Native;

/// <summary>
/// Blittable P/Invokes into KeraLua's native Lua 5.4 (<c>liblua54</c>), and the C API macros
/// the sandbox needs. Calls marked <see cref="SuppressGCTransitionAttribute"/> are the ones that
/// never allocate Lua memory (so never call back into the managed allocator), never run
/// metamethods and return at once; everything else takes the normal transition.
/// </summary>
/// <remarks>
/// Rules for callers (SANDBOX.md, E7): Lua code only ever runs inside <see cref="lua_resume"/> or
/// <see cref="lua_pcallk"/>; host code touches user data only with raw, non-raising calls
/// (<c>rawget</c>/<c>rawset</c>/<c>next</c>), and only while the heap budget is lifted, so no
/// allocation it makes can fail and no user metamethod can run outside a protected call.
/// </remarks>
internal static unsafe partial class LuaNative
{
    private const string Lib = "lua54";

    public const int LUA_OK = 0;
    public const int LUA_YIELD = 1;
    public const int LUA_ERRRUN = 2;
    public const int LUA_ERRSYNTAX = 3;
    public const int LUA_ERRMEM = 4;
    public const int LUA_ERRERR = 5;

    public const int LUA_TNONE = -1;
    public const int LUA_TNIL = 0;
    public const int LUA_TBOOLEAN = 1;
    public const int LUA_TLIGHTUSERDATA = 2;
    public const int LUA_TNUMBER = 3;
    public const int LUA_TSTRING = 4;
    public const int LUA_TTABLE = 5;
    public const int LUA_TFUNCTION = 6;
    public const int LUA_TUSERDATA = 7;
    public const int LUA_TTHREAD = 8;

    public const int LUAI_MAXSTACK = 1_000_000;
    public const int LUA_REGISTRYINDEX = -LUAI_MAXSTACK - 1000;
    public const int LUA_RIDX_GLOBALS = 2;
    public const int LUA_MASKCOUNT = 1 << 3;
    public const int LUA_GCCOLLECT = 2;
    public const int LUA_MINSTACK = 20;

    public static int lua_upvalueindex(int i) => LUA_REGISTRYINDEX - i;

    // ---- state -------------------------------------------------------------------------------

    [LibraryImport(Lib)]
    public static partial nint lua_newstate(delegate* unmanaged[Cdecl]<void*, void*, nuint, nuint, void*> f, void* ud);

    [LibraryImport(Lib)]
    public static partial void lua_close(nint L);

    [LibraryImport(Lib)]
    public static partial nint lua_newthread(nint L);

    [LibraryImport(Lib)]
    public static partial nint lua_atpanic(nint L, delegate* unmanaged[Cdecl]<nint, int> panicf);

    [LibraryImport(Lib)]
    public static partial int lua_gc(nint L, int what);

    // ---- stack -------------------------------------------------------------------------------

    [LibraryImport(Lib), SuppressGCTransition]
    public static partial int lua_gettop(nint L);

    [LibraryImport(Lib), SuppressGCTransition]
    public static partial void lua_settop(nint L, int idx);

    [LibraryImport(Lib), SuppressGCTransition]
    public static partial int lua_absindex(nint L, int idx);

    [LibraryImport(Lib), SuppressGCTransition]
    public static partial void lua_pushvalue(nint L, int idx);

    [LibraryImport(Lib), SuppressGCTransition]
    public static partial void lua_rotate(nint L, int idx, int n);

    /// <summary>May grow the stack (allocates); returns 0 instead of raising when it cannot.</summary>
    [LibraryImport(Lib)]
    public static partial int lua_checkstack(nint L, int n);

    [LibraryImport(Lib)]
    public static partial void lua_xmove(nint from, nint to, int n);

    public static void lua_pop(nint L, int n) => lua_settop(L, -n - 1);

    // ---- access ------------------------------------------------------------------------------

    [LibraryImport(Lib), SuppressGCTransition]
    public static partial int lua_type(nint L, int idx);

    [LibraryImport(Lib), SuppressGCTransition]
    public static partial int lua_isinteger(nint L, int idx);

    [LibraryImport(Lib), SuppressGCTransition]
    public static partial int lua_toboolean(nint L, int idx);

    [LibraryImport(Lib), SuppressGCTransition]
    public static partial long lua_tointegerx(nint L, int idx, int* isnum);

    [LibraryImport(Lib), SuppressGCTransition]
    public static partial double lua_tonumberx(nint L, int idx, int* isnum);

    /// <summary>
    /// <c>lua_tolstring</c> for values already known to be strings: returns the interned bytes
    /// without converting (converting a number would allocate, which this declaration forbids).
    /// </summary>
    [LibraryImport(Lib, EntryPoint = "lua_tolstring"), SuppressGCTransition]
    public static partial byte* lua_tostringbytes(nint L, int idx, nuint* len);

    [LibraryImport(Lib), SuppressGCTransition]
    public static partial nuint lua_rawlen(nint L, int idx);

    [LibraryImport(Lib), SuppressGCTransition]
    public static partial int lua_rawequal(nint L, int idx1, int idx2);

    [LibraryImport(Lib), SuppressGCTransition]
    public static partial void* lua_touserdata(nint L, int idx);

    [LibraryImport(Lib), SuppressGCTransition]
    public static partial void* lua_topointer(nint L, int idx);

    [LibraryImport(Lib), SuppressGCTransition]
    public static partial nint lua_tocfunction(nint L, int idx);

    // ---- push (non-allocating) ---------------------------------------------------------------

    [LibraryImport(Lib), SuppressGCTransition]
    public static partial void lua_pushnil(nint L);

    [LibraryImport(Lib), SuppressGCTransition]
    public static partial void lua_pushinteger(nint L, long n);

    [LibraryImport(Lib), SuppressGCTransition]
    public static partial void lua_pushnumber(nint L, double n);

    [LibraryImport(Lib), SuppressGCTransition]
    public static partial void lua_pushboolean(nint L, int b);

    [LibraryImport(Lib), SuppressGCTransition]
    public static partial void lua_pushlightuserdata(nint L, void* p);

    // ---- push (allocating) -------------------------------------------------------------------

    [LibraryImport(Lib)]
    public static partial byte* lua_pushlstring(nint L, byte* s, nuint len);

    [LibraryImport(Lib)]
    public static partial void lua_pushcclosure(nint L, delegate* unmanaged[Cdecl]<nint, int> fn, int n);

    [LibraryImport(Lib)]
    public static partial void lua_createtable(nint L, int narr, int nrec);

    // ---- raw table access --------------------------------------------------------------------

    [LibraryImport(Lib), SuppressGCTransition]
    public static partial int lua_rawget(nint L, int idx);

    [LibraryImport(Lib), SuppressGCTransition]
    public static partial int lua_rawgeti(nint L, int idx, long n);

    /// <summary>Raw traversal step; never raises for keys that came from the traversal itself.</summary>
    [LibraryImport(Lib), SuppressGCTransition]
    public static partial int lua_next(nint L, int idx);

    [LibraryImport(Lib), SuppressGCTransition]
    public static partial int lua_getmetatable(nint L, int idx);

    [LibraryImport(Lib)]
    public static partial void lua_rawset(nint L, int idx);

    [LibraryImport(Lib)]
    public static partial void lua_rawseti(nint L, int idx, long n);

    // ---- calls -------------------------------------------------------------------------------

    [LibraryImport(Lib)]
    public static partial int lua_pcallk(nint L, int nargs, int nresults, int errfunc, nint ctx, nint k);

    [LibraryImport(Lib)]
    public static partial int lua_resume(nint L, nint from, int narg, int* nres);

    [LibraryImport(Lib)]
    public static partial int luaL_loadbufferx(nint L, byte* buff, nuint sz, byte* name, byte* mode);

    [LibraryImport(Lib)]
    public static partial int lua_dump(nint L, delegate* unmanaged[Cdecl]<nint, void*, nuint, void*, int> writer, void* data, int strip);

    // ---- hooks -------------------------------------------------------------------------------

    [LibraryImport(Lib), SuppressGCTransition]
    public static partial void lua_sethook(nint L, nint func, int mask, int count);

    [LibraryImport(Lib), SuppressGCTransition]
    public static partial nint lua_gethook(nint L);

    // ---- references --------------------------------------------------------------------------

    [LibraryImport(Lib)]
    public static partial int luaL_ref(nint L, int t);

    // ---- helpers -----------------------------------------------------------------------------

    public static int lua_pcall(nint L, int nargs, int nresults) => lua_pcallk(L, nargs, nresults, 0, 0, 0);

    /// <summary>Pushes UTF-8 bytes as a Lua string (allocating; host side, budget lifted).</summary>
    public static void PushBytes(nint L, ReadOnlySpan<byte> bytes)
    {
        fixed (byte* p = bytes)
        {
            // A non-null pointer even for the empty span: lua_pushlstring(L, NULL, 0) is fine too,
            // but keep the contract obvious.
            byte dummy = 0;
            lua_pushlstring(L, p == null ? &dummy : p, (nuint)bytes.Length);
        }
    }

    /// <summary>Pushes a .NET string as UTF-8.</summary>
    public static void PushString(nint L, string s)
    {
        const int StackLimit = 256;
        int max = System.Text.Encoding.UTF8.GetMaxByteCount(s.Length);
        if (max <= StackLimit)
        {
            Span<byte> buf = stackalloc byte[StackLimit];
            int n = System.Text.Encoding.UTF8.GetBytes(s, buf);
            PushBytes(L, buf[..n]);
            return;
        }
        byte[] rented = System.Buffers.ArrayPool<byte>.Shared.Rent(max);
        try
        {
            int n = System.Text.Encoding.UTF8.GetBytes(s, rented);
            PushBytes(L, rented.AsSpan(0, n));
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>The bytes of the string at <paramref name="idx"/>; valid while it stays on the stack.</summary>
    public static ReadOnlySpan<byte> StringBytes(nint L, int idx)
    {
        nuint len;
        byte* p = lua_tostringbytes(L, idx, &len);
        return new ReadOnlySpan<byte>(p, checked((int)len));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long ToInteger(nint L, int idx) => lua_tointegerx(L, idx, null);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double ToNumber(nint L, int idx) => lua_tonumberx(L, idx, null);
}
