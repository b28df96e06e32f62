using System.Globalization;
using System.Text;
using static Comet.Sandbox.Native.LuaNative;

namespace Comet.Sandbox;

/// <summary>
/// Turns Lua error objects into readable messages without running user code: raw type checks
/// only, never <c>luaL_tolstring</c> (which would call a user <c>__tostring</c>).
/// </summary>
internal static class LuaErrors
{
    private const int MaxMessageBytes = 1024;

    /// <summary>The error object at <paramref name="idx"/> as text.</summary>
    public static string Describe(nint L, int idx)
    {
        switch (lua_type(L, idx))
        {
            case LUA_TSTRING:
                var bytes = StringBytes(L, idx);
                if (bytes.Length > MaxMessageBytes)
                {
                    return Encoding.UTF8.GetString(bytes[..MaxMessageBytes]) + "...";
                }
                return Encoding.UTF8.GetString(bytes);
            case LUA_TNUMBER:
                return lua_isinteger(L, idx) != 0
                    ? ToInteger(L, idx).ToString(CultureInfo.InvariantCulture)
                    : ToNumber(L, idx).ToString("R", CultureInfo.InvariantCulture);
            case LUA_TNIL:
            case LUA_TNONE:
                return "error object is nil";
            default:
                return $"error object is a {State.LuaDataReader.TypeName(lua_type(L, idx))} value";
        }
    }

    /// <summary>
    /// "aso:onGet line 4: attempt to index a nil value" from Lua's "aso:4: attempt to index a nil value".
    /// Positions inside the sandbox's own chunk are dropped: they mean nothing to the ASO's author.
    /// </summary>
    public static string ForHandler(string where, string luaMessage)
    {
        int colon = luaMessage.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0)
        {
            int lineEnd = luaMessage.IndexOf(':', colon + 1);
            if (lineEnd > colon + 1 && IsDigits(luaMessage.AsSpan(colon + 1, lineEnd - colon - 1)))
            {
                string chunk = luaMessage[..colon];
                string rest = luaMessage[(lineEnd + 1)..].TrimStart();
                string line = luaMessage[(colon + 1)..lineEnd];
                return chunk == "aso" ? $"aso:{where} line {line}: {rest}" : $"aso:{where}: {rest}";
            }
        }
        return $"aso:{where}: {luaMessage}";
    }

    /// <summary>"line 3: unexpected symbol near 'x'" from a syntax error "aso:3: unexpected symbol near 'x'".</summary>
    public static string ForSyntax(string luaMessage)
    {
        const string Prefix = "aso:";
        if (luaMessage.StartsWith(Prefix, StringComparison.Ordinal))
        {
            int lineEnd = luaMessage.IndexOf(':', Prefix.Length);
            if (lineEnd > Prefix.Length && IsDigits(luaMessage.AsSpan(Prefix.Length, lineEnd - Prefix.Length)))
            {
                return $"line {luaMessage[Prefix.Length..lineEnd]}: {luaMessage[(lineEnd + 1)..].TrimStart()}";
            }
        }
        return luaMessage;
    }

    private static bool IsDigits(ReadOnlySpan<char> s)
    {
        foreach (char c in s)
        {
            if (c < '0' || c > '9')
            {
                return false;
            }
        }
        return s.Length > 0;
    }
}
