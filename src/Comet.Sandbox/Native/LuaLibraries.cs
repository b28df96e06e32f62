using System.Runtime.InteropServices;

namespace Comet.Sandbox.Native;

/// <summary>
/// Entry points of the standard libraries the sandbox opens, found once in KeraLua's
/// <c>liblua54</c>. Only these are opened: io, os and package never exist in a sandboxed state,
/// and debug and coroutine are handed privately to the setup chunk, never published.
/// </summary>
internal static unsafe class LuaLibraries
{
    private static readonly nint s_library = NativeLibrary.Load("lua54", typeof(LuaLibraries).Assembly, null);

    public static readonly delegate* unmanaged[Cdecl]<nint, int> Base = Export("luaopen_base");
    public static readonly delegate* unmanaged[Cdecl]<nint, int> String = Export("luaopen_string");
    public static readonly delegate* unmanaged[Cdecl]<nint, int> Table = Export("luaopen_table");
    public static readonly delegate* unmanaged[Cdecl]<nint, int> Math = Export("luaopen_math");
    public static readonly delegate* unmanaged[Cdecl]<nint, int> Utf8 = Export("luaopen_utf8");
    public static readonly delegate* unmanaged[Cdecl]<nint, int> Coroutine = Export("luaopen_coroutine");
    public static readonly delegate* unmanaged[Cdecl]<nint, int> Debug = Export("luaopen_debug");

    private static delegate* unmanaged[Cdecl]<nint, int> Export(string name) =>
        (delegate* unmanaged[Cdecl]<nint, int>)NativeLibrary.GetExport(s_library, name);
}
