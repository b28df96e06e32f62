using System.Runtime.InteropServices;
using System.Text;
using static Comet.Sandbox.Native.LuaNative;

namespace Comet.Sandbox.Native;

/// <summary>
/// One of the sandbox's own Lua chunks (embedded resources), compiled once per process to
/// stripped bytecode so that each state loads it without parsing. Only these trusted chunks are
/// ever loaded in binary mode; user code is always text mode.
/// </summary>
internal sealed unsafe class PrecompiledChunk
{
    /// <summary>The private setup chunk every state runs first.</summary>
    public static readonly PrecompiledChunk Setup = new("Comet.Sandbox.SetupChunk.lua");

    /// <summary>string.find/match/gmatch/gsub, loaded into a state on first use.</summary>
    public static readonly PrecompiledChunk Patterns = new("Comet.Sandbox.PatternChunk.lua");

    /// <summary>table.move/insert/remove, loaded into a state on first use.</summary>
    public static readonly PrecompiledChunk Table = new("Comet.Sandbox.TableChunk.lua");

    /// <summary>comet.lookup/get/put, loaded into a state on first use.</summary>
    public static readonly PrecompiledChunk Neighbours = new("Comet.Sandbox.NeighbourChunk.lua");

    /// <summary>Every chunk, to compile them all at start-up.</summary>
    public static IEnumerable<PrecompiledChunk> All => [Setup, Patterns, Table, Neighbours];

    private readonly string _resourceName;
    private readonly Lazy<byte[]> _bytecode;

    private PrecompiledChunk(string resourceName)
    {
        _resourceName = resourceName;
        _bytecode = new Lazy<byte[]>(Compile);
    }

    /// <summary>The chunk's compiled form.</summary>
    public ReadOnlySpan<byte> Bytecode => _bytecode.Value;

    /// <summary>Loads the chunk onto <paramref name="L"/>'s stack (a protected call inside Lua: never raises).</summary>
    public int Load(nint L)
    {
        var bytecode = Bytecode;
        fixed (byte* p = bytecode)
        fixed (byte* name = "=sandbox\0"u8)
        fixed (byte* mode = "b\0"u8)
        {
            return luaL_loadbufferx(L, p, (nuint)bytecode.Length, name, mode);
        }
    }

    /// <summary>The chunk's source text.</summary>
    public string Source()
    {
        using var stream = typeof(PrecompiledChunk).Assembly.GetManifestResourceStream(_resourceName)
            ?? throw new InvalidOperationException($"The embedded resource {_resourceName} is missing.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    private byte[] Compile()
    {
        byte[] source = Encoding.UTF8.GetBytes(Source());
        var block = (SandboxBlock*)NativeMemory.AllocZeroed((nuint)sizeof(SandboxBlock));
        nint L = lua_newstate(LimitedAllocator.Pointer, block);
        try
        {
            int status;
            fixed (byte* p = source)
            fixed (byte* name = "=sandbox\0"u8)
            fixed (byte* mode = "t\0"u8)
            {
                status = luaL_loadbufferx(L, p, (nuint)source.Length, name, mode);
            }
            if (status != LUA_OK)
            {
                throw new InvalidOperationException($"The sandbox chunk {_resourceName} does not compile: " + Encoding.UTF8.GetString(StringBytes(L, -1)));
            }
            var output = new MemoryStream();
            var handle = GCHandle.Alloc(output);
            try
            {
                // Stripped: debug info would double the chunk's size in every state, and
                // positions inside the sandbox's own code mean nothing to an ASO's author.
                lua_dump(L, &Write, (void*)GCHandle.ToIntPtr(handle), 1);
            }
            finally
            {
                handle.Free();
            }
            return output.ToArray();
        }
        finally
        {
            lua_close(L);
            NativeMemory.Free(block);
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
    private static int Write(nint L, void* p, nuint size, void* ud) => WriteBody(p, size, ud);

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static int WriteBody(void* p, nuint size, void* ud)
    {
        var output = (MemoryStream)GCHandle.FromIntPtr((nint)ud).Target!;
        output.Write(new ReadOnlySpan<byte>(p, (int)size));
        return 0;
    }
}
