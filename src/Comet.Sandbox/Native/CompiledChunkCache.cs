using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using static Comet.Sandbox.Native.LuaNative;

namespace Comet.Sandbox.Native;

/// <summary>
/// Compiled user chunks by the SHA-256 of their source, as Garnet caches scripts: the first load
/// of a piece of code parses it (text mode) and dumps the compiled function; every later load of
/// the same code, in any object, loads that bytecode instead of parsing again. Only bytecode this
/// cache produced from source is ever loaded in binary mode: a caller can never send bytecode
/// (AsoRuntime refuses it). The dump keeps debug information, so error messages keep their lines.
/// Bounded: past <see cref="MaxEntries"/> or <see cref="MaxBytes"/> new code is parsed as before.
/// Thread-safe.
/// </summary>
internal sealed unsafe class CompiledChunkCache
{
    public const int MaxEntries = 4096;
    public const long MaxBytes = 64L * 1024 * 1024;

    private readonly ConcurrentDictionary<Digest, byte[]> _chunks = new();
    private long _bytes;

    /// <summary>Loads <paramref name="code"/> onto <paramref name="state"/>'s stack, from the cache when it can.</summary>
    public int Load(SandboxState state, ReadOnlySpan<byte> code)
    {
        var digest = Digest.Of(code);
        if (_chunks.TryGetValue(digest, out var bytecode))
        {
            return state.LoadCompiledCode(bytecode);
        }
        int status = state.LoadUserCode(code);
        if (status == LUA_OK && _chunks.Count < MaxEntries && Interlocked.Read(ref _bytes) < MaxBytes)
        {
            var dumped = Dump(state.L);
            if (dumped is not null && _chunks.TryAdd(digest, dumped))
            {
                Interlocked.Add(ref _bytes, dumped.Length);
            }
        }
        return status;
    }

    /// <summary>Entries held (for tests and statistics).</summary>
    public int Count => _chunks.Count;

    private static byte[]? Dump(nint L)
    {
        var output = new MemoryStream();
        var handle = GCHandle.Alloc(output);
        try
        {
            return lua_dump(L, &Write, (void*)GCHandle.ToIntPtr(handle), 0) == 0 ? output.ToArray() : null;
        }
        finally
        {
            handle.Free();
        }
    }

    // CallbackRule (SandboxState.cs): a shim around a NoInlining body.
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Write(nint L, void* p, nuint size, void* ud) => WriteBody(p, size, ud);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int WriteBody(void* p, nuint size, void* ud)
    {
        try
        {
            var output = (MemoryStream)GCHandle.FromIntPtr((nint)ud).Target!;
            output.Write(new ReadOnlySpan<byte>(p, checked((int)size)));
            return 0;
        }
#pragma warning disable CA1031 // Nothing may unwind into native code; a failed dump is simply not cached.
        catch (Exception)
#pragma warning restore CA1031
        {
            return 1;
        }
    }

    private readonly record struct Digest(long A, long B, long C, long D)
    {
        public static Digest Of(ReadOnlySpan<byte> code)
        {
            Span<byte> hash = stackalloc byte[32];
            SHA256.HashData(code, hash);
            var longs = MemoryMarshal.Cast<byte, long>(hash);
            return new Digest(longs[0], longs[1], longs[2], longs[3]);
        }
    }
}
