using System.Text;
using Comet.Abstractions.Errors;
using Comet.Sandbox.Native;
using static Comet.Sandbox.Native.LuaNative;

namespace Comet.Sandbox;

/// <summary>
/// The process-wide factory of sandboxed objects: holds the options and the clock, and the
/// setup chunk compiled once. Thread-safe: the grid loads objects from many threads at once.
/// Passive objects (no code) never reach the sandbox.
/// </summary>
public sealed class AsoRuntime : IDisposable
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private int _liveObjects;
    private long _leakedBytes;
    private volatile bool _disposed;

    /// <summary>Creates the runtime; validates <paramref name="options"/> (a copy is kept).</summary>
    public AsoRuntime(AsoSandboxOptions options, IAsoClock? clock = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = new AsoSandboxOptions
        {
            InstructionLimit = options.InstructionLimit,
            MemoryLimitBytes = options.MemoryLimitBytes,
            MaxCodeBytes = options.MaxCodeBytes,
            MaxStateBytes = options.MaxStateBytes,
            MaxNeighbourCallsPerHandler = options.MaxNeighbourCallsPerHandler,
            HandlerTimeout = options.HandlerTimeout,
            MinTimerPeriodSeconds = options.MinTimerPeriodSeconds,
            MaxTimerPeriodSeconds = options.MaxTimerPeriodSeconds,
            MaxNeighbourCallsPerSecond = options.MaxNeighbourCallsPerSecond,
            HookIntervalInstructions = options.HookIntervalInstructions,
            PatternStepsPerInstruction = options.PatternStepsPerInstruction,
        };
        Clock = clock ?? SystemAsoClock.Instance;
        // Compile the sandbox's own chunks now: a broken build fails at start-up, not at the first put.
        foreach (var chunk in PrecompiledChunk.All)
        {
            _ = chunk.Bytecode;
        }
    }

    /// <summary>Compiled user chunks by the digest of their source, shared by this runtime's objects.</summary>
    internal CompiledChunkCache Chunks { get; } = new();

    /// <summary>The options every object of this runtime runs under (a snapshot taken at construction).</summary>
    public AsoSandboxOptions Options { get; }

    /// <summary>The clock behind <c>comet.getSystemTime()</c> and the neighbour-call rate limit.</summary>
    public IAsoClock Clock { get; }

    /// <summary>Objects loaded and not yet disposed.</summary>
    public int LiveObjects => Volatile.Read(ref _liveObjects);

    /// <summary>Lua heap bytes still counted when disposed objects' states were closed (always 0 unless the sandbox leaks).</summary>
    public long LeakedBytes => Interlocked.Read(ref _leakedBytes);

    /// <summary>
    /// Checks code before it is stored: size, UTF-8, source (never bytecode), syntax. Throws
    /// <see cref="AsoException"/> with <see cref="CometErrorCode.BadCode"/> and, for a syntax
    /// error, "line N: ...".
    /// </summary>
    public static unsafe void ValidateCode(string code, AsoSandboxOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        byte[] bytes = CodeBytes(code, o);
        var block = stackalloc SandboxBlock[1];
        *block = default;
        nint L = lua_newstate(LimitedAllocator.Pointer, block);
        if (L == 0)
        {
            throw new AsoException(CometErrorCode.Internal, "Could not create a Lua state to check the code.");
        }
        try
        {
            int status;
            fixed (byte* p = bytes)
            fixed (byte* name = "=aso\0"u8)
            fixed (byte* mode = "t\0"u8)
            {
                byte empty = 0;
                status = luaL_loadbufferx(L, p == null ? &empty : p, (nuint)bytes.Length, name, mode);
            }
            if (status != LUA_OK)
            {
                throw new AsoException(CometErrorCode.BadCode, LuaErrors.ForSyntax(LuaErrors.Describe(L, -1)));
            }
        }
        finally
        {
            lua_close(L);
        }
    }

    /// <summary>
    /// Creates the object's sandboxed Lua state and runs its code (which defines <c>aso</c> and
    /// its handlers). A non-empty <paramref name="persistedState"/> (from
    /// <see cref="AsoObject.EncodeState"/>) then replaces the data fields the code set: fields
    /// the object had deleted stay deleted; functions stay as the code defined them.
    /// </summary>
    /// <exception cref="AsoException">BadCode (size, encoding, bytecode, syntax, runtime error in
    /// the chunk), InstructionLimit/MemoryLimit/TimeLimit while the chunk ran, BadRequest for
    /// malformed persisted state.</exception>
    public AsoObject Load(AsoContext context, string code, ReadOnlySpan<byte> persistedState, IAsoNeighbours neighbours)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(neighbours);
        byte[] bytes = CodeBytes(code, Options);
        var state = SandboxState.Create(Options, Clock, context);
        var obj = new AsoObject(this, state, context, neighbours);
        Interlocked.Increment(ref _liveObjects);
        try
        {
            obj.Initialize(bytes, persistedState);
        }
        catch
        {
            obj.Dispose();
            throw;
        }
        return obj;
    }

    /// <summary>Loads <see cref="AsoContext.Code"/>.</summary>
    public AsoObject Load(AsoContext context, ReadOnlySpan<byte> persistedState, IAsoNeighbours neighbours)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Load(context, context.Code, persistedState, neighbours);
    }

    /// <summary>Stops new loads. Objects already loaded keep working until disposed.</summary>
    public void Dispose() => _disposed = true;

    internal void OnObjectClosed(long residualBytes)
    {
        Interlocked.Decrement(ref _liveObjects);
        if (residualBytes != 0)
        {
            Interlocked.Add(ref _leakedBytes, residualBytes);
        }
    }

    private static byte[] CodeBytes(string code, AsoSandboxOptions o)
    {
        ArgumentNullException.ThrowIfNull(code);
        byte[] bytes;
        try
        {
            bytes = StrictUtf8.GetBytes(code);
        }
        catch (EncoderFallbackException e)
        {
            throw new AsoException(CometErrorCode.BadCode, "The code is not valid UTF-8 text.", e);
        }
        if (bytes.Length > o.MaxCodeBytes)
        {
            throw new AsoException(CometErrorCode.BadCode, $"The code is {bytes.Length} bytes; the limit is {o.MaxCodeBytes}.");
        }
        if (bytes.Length > 0 && bytes[0] == 0x1B)
        {
            throw new AsoException(CometErrorCode.BadCode, "Precompiled Lua bytecode is not accepted; send Lua source.");
        }
        return bytes;
    }
}
