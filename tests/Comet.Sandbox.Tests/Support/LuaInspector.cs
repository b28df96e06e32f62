using System.Runtime.InteropServices;
using static Comet.Sandbox.Native.LuaNative;

namespace Comet.Sandbox.Tests.Support;

/// <summary>
/// Looks inside Lua states from the outside, for the escape tests: which C functions user code
/// can reach, and the identities of the dangerous ones in an unsandboxed reference state (the
/// same liblua54, so the same function addresses).
/// </summary>
internal static partial class LuaInspector
{
    [LibraryImport("lua54")]
    private static partial nint luaL_newstate();

    [LibraryImport("lua54")]
    private static partial void luaL_openlibs(nint L);

    [LibraryImport("lua54")]
    private static partial void lua_close(nint L);

    /// <summary>Every function user code must never reach, by name, from a full standard Lua.</summary>
    public static Dictionary<nint, string> ForbiddenCFunctions()
    {
        var forbidden = new Dictionary<nint, string>();
        nint L = luaL_newstate();
        try
        {
            luaL_openlibs(L);
            lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
            int g = lua_gettop(L);
            foreach (var name in new[] { "load", "dofile", "loadfile", "collectgarbage", "xpcall", "print", "warn", "require", "setmetatable" })
            {
                Add(L, g, name, name, forbidden);
            }
            foreach (var lib in new[] { "io", "os", "debug", "coroutine", "package" })
            {
                PushString(L, lib);
                lua_rawget(L, g);
                AddAll(L, lua_gettop(L), lib, forbidden);
                lua_pop(L, 1);
            }
            // The raw versions of what the sandbox wraps (E5) or removes.
            foreach (var (lib, names) in new[] { ("string", new[] { "dump", "rep", "find", "match", "gmatch", "gsub" }), ("table", new[] { "move", "insert", "remove" }) })
            {
                PushString(L, lib);
                lua_rawget(L, g);
                foreach (var name in names)
                {
                    Add(L, lua_gettop(L), name, lib + "." + name, forbidden);
                }
                lua_pop(L, 1);
            }
        }
        finally
        {
            lua_close(L);
        }
        return forbidden;
    }

    /// <summary>
    /// The C functions reachable from what user code can reach: the globals and the string
    /// metatable, following table keys, values and metatables (even protected ones).
    /// </summary>
    public static HashSet<nint> ReachableCFunctions(nint L)
    {
        var found = new HashSet<nint>();
        var seen = new HashSet<nint>();
        int top = lua_gettop(L);
        lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
        Visit(L, lua_gettop(L), found, seen);
        PushString(L, "");
        if (lua_getmetatable(L, -1) != 0)
        {
            Visit(L, lua_gettop(L), found, seen);
        }
        lua_settop(L, top);
        return found;
    }

    private static unsafe void Visit(nint L, int idx, HashSet<nint> found, HashSet<nint> seen)
    {
        switch (lua_type(L, idx))
        {
            case LUA_TFUNCTION:
                nint f = lua_tocfunction(L, idx);
                if (f != 0)
                {
                    found.Add(f);
                }
                return;
            case LUA_TTABLE:
                if (!seen.Add((nint)lua_topointer(L, idx)))
                {
                    return;
                }
                Assert.True(lua_checkstack(L, 4) != 0);
                if (lua_getmetatable(L, idx) != 0)
                {
                    Visit(L, lua_gettop(L), found, seen);
                    lua_pop(L, 1);
                }
                lua_pushnil(L);
                while (lua_next(L, idx) != 0)
                {
                    int v = lua_gettop(L);
                    Visit(L, v - 1, found, seen);
                    Visit(L, v, found, seen);
                    lua_pop(L, 1);
                }
                return;
        }
    }

    private static void Add(nint L, int table, string name, string label, Dictionary<nint, string> into)
    {
        PushString(L, name);
        lua_rawget(L, table);
        nint f = lua_tocfunction(L, -1);
        if (f != 0)
        {
            into[f] = label;
        }
        lua_pop(L, 1);
    }

    private static void AddAll(nint L, int table, string prefix, Dictionary<nint, string> into)
    {
        lua_pushnil(L);
        while (lua_next(L, table) != 0)
        {
            nint f = lua_type(L, -1) == LUA_TFUNCTION ? lua_tocfunction(L, -1) : 0;
            if (f != 0 && lua_type(L, -2) == LUA_TSTRING)
            {
                into[f] = prefix + "." + System.Text.Encoding.UTF8.GetString(StringBytes(L, -2));
            }
            lua_pop(L, 1);
        }
    }
}
