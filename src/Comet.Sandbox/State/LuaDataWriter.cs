using Comet.Sandbox.Native;
using static Comet.Sandbox.Native.LuaNative;

namespace Comet.Sandbox.State;

/// <summary>
/// Pushes managed <see cref="AsoValue"/>s onto a Lua stack as fresh tables and values. Host
/// side only: runs with the heap budget lifted, using raw sets on tables it has just made, so
/// nothing here can raise a Lua error or run user code.
/// </summary>
internal static unsafe class LuaDataWriter
{
    public static void Push(nint L, AsoValue value) => Push(L, value, 0);

    private static void Push(nint L, AsoValue value, int depth)
    {
        switch (value.Kind)
        {
            case AsoValueKind.Nil:
                lua_pushnil(L);
                break;
            case AsoValueKind.Boolean:
                lua_pushboolean(L, value.AsBoolean() ? 1 : 0);
                break;
            case AsoValueKind.Integer:
                lua_pushinteger(L, value.AsInt64());
                break;
            case AsoValueKind.Float:
                lua_pushnumber(L, value.AsDouble());
                break;
            case AsoValueKind.String:
                PushBytes(L, value.StringSpan);
                break;
            case AsoValueKind.Table:
                if (depth >= AsoStateCodec.MaxDepth || lua_checkstack(L, 4) == 0)
                {
                    // AsoValues built by this library never nest this deep; push nothing deeper.
                    lua_pushnil(L);
                    return;
                }
                var array = value.ArrayItems;
                var map = value.MapItems;
                lua_createtable(L, array.Length, map.Length);
                int t = lua_gettop(L);
                for (int i = 0; i < array.Length; i++)
                {
                    Push(L, array[i], depth + 1);
                    lua_rawseti(L, t, i + 1);
                }
                foreach (var (k, v) in map)
                {
                    Push(L, k, depth + 1);
                    Push(L, v, depth + 1);
                    lua_rawset(L, t);
                }
                break;
        }
    }

    /// <summary>Pushes a list of strings as a Lua sequence.</summary>
    public static void PushStringList(nint L, IReadOnlyList<string> items)
    {
        lua_createtable(L, items.Count, 0);
        int t = lua_gettop(L);
        for (int i = 0; i < items.Count; i++)
        {
            PushString(L, items[i]);
            lua_rawseti(L, t, i + 1);
        }
    }
}
