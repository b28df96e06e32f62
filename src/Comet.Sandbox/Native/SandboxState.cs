using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Comet.Abstractions.Errors;
using static Comet.Sandbox.Native.LuaNative;

namespace Comet.Sandbox.Native;

/// <summary>
/// One sandboxed Lua state and its control block: created with the limited allocator, given
/// only the safe libraries, set up by the private chunk, closed exactly once (by Dispose or, if
/// the owner forgot, by the finalizer).
/// </summary>
internal sealed unsafe class SandboxState : System.Runtime.ConstrainedExecution.CriticalFinalizerObject, IDisposable
{
    private nint _L;
    private SandboxBlock* _block;

    private SandboxState(SandboxBlock* block, nint L)
    {
        _block = block;
        _L = L;
    }

    ~SandboxState() => Close();

    public nint L => _L;

    public SandboxBlock* Block => _block;

    /// <summary>The running call's <see cref="GuardTrip"/>.</summary>
    public int Tripped => _block->Tripped;

    /// <summary>Instruction-equivalents charged to the running call.</summary>
    public long InstructionsUsed => _block->InstructionsUsed;

    /// <summary>The running call called <c>comet.deleteSelf()</c>.</summary>
    public bool DeleteRequested => _block->DeleteRequested != 0;

    /// <summary>Allocations refused during the running call.</summary>
    public int RefusedAllocations => _block->RefusedAllocations;

    /// <summary>Bytes of Lua heap in use.</summary>
    public long HeapUsed => _block == null ? 0 : _block->HeapUsed;

    /// <summary>The most Lua heap ever in use.</summary>
    public long HeapPeak => _block == null ? 0 : _block->HeapPeak;

    /// <summary>The heap budget.</summary>
    public long HeapLimit => _block->HeapLimit;

    public bool IsClosed => _L == 0;

    /// <summary>Bytes the allocator still counted after <c>lua_close</c> (0 unless something leaked).</summary>
    public long ResidualBytes { get; private set; }

    /// <summary>Registry reference of the runner function (the body of every handler coroutine).</summary>
    public int RunRef { get; private set; }

    /// <summary>Registry reference of the private marker that tags the wrappers' yields.</summary>
    public int MarkerRef { get; private set; }

    /// <summary>Registry slot holding the object's handler coroutine (false when none).</summary>
    public int ThreadSlot { get; private set; }

    /// <summary>Instructions between two runs of the guard hook.</summary>
    public int HookInterval { get; private set; }

    /// <summary>Creates a state: allocator, libraries, setup chunk. Throws <see cref="AsoException"/> (Internal) if even that fails.</summary>
    public static SandboxState Create(AsoSandboxOptions options, IAsoClock clock, AsoContext context)
    {
        var block = (SandboxBlock*)NativeMemory.AllocZeroed((nuint)sizeof(SandboxBlock));
        block->HeapLimit = options.MemoryLimitBytes;
        block->InstructionLimit = options.InstructionLimit;
        block->PatternStepsPerInstruction = options.PatternStepsPerInstruction;
        block->ClockHandle = GCHandle.ToIntPtr(GCHandle.Alloc(clock));
        nint L = lua_newstate(LimitedAllocator.Pointer, block);
        if (L == 0)
        {
            GCHandle.FromIntPtr(block->ClockHandle).Free();
            NativeMemory.Free(block);
            throw new AsoException(CometErrorCode.Internal, "Could not create a Lua state (out of memory).");
        }
        var state = new SandboxState(block, L);
        try
        {
            state.Setup(options, context);
            return state;
        }
        catch
        {
            state.Dispose();
            throw;
        }
    }

    private void Setup(AsoSandboxOptions options, AsoContext context)
    {
        nint L = _L;
        lua_atpanic(L, &Panic);
        Check(PrecompiledChunk.Setup.Load(L), "load the setup chunk");

        // The setup chunk's arguments: G, string, table, coroutine, debug (math and utf8 open lazily) ...
        OpenLibrary(LuaLibraries.Base);
        OpenLibrary(LuaLibraries.String);
        OpenLibrary(LuaLibraries.Table);
        OpenLibrary(LuaLibraries.Coroutine);
        OpenLibrary(LuaLibraries.Debug);
        // ... charge, now, deleteSelf, pmatch, loadchunk, openlib (C closures over this state's block) ...
        PushHostFunction(InstructionGuard.Charge);
        PushHostFunction(HostFunctions.Now);
        PushHostFunction(HostFunctions.DeleteSelf);
        PushHostFunction(Patterns.PatternFunctions.Match);
        PushHostFunction(HostFunctions.LoadChunk);
        PushHostFunction(HostFunctions.OpenLibrary);
        // ... KEY, NODE_ID, NODE_IP, INTERVAL.
        PushString(L, context.Key);
        PushString(L, context.NodeId);
        PushString(L, context.NodeIp);
        HookInterval = Math.Min(options.HookIntervalInstructions, options.InstructionLimit);
        lua_pushinteger(L, HookInterval);
        Check(lua_pcall(L, 15, 2), "run the setup chunk");
        MarkerRef = luaL_ref(L, LUA_REGISTRYINDEX);
        RunRef = luaL_ref(L, LUA_REGISTRYINDEX);
        lua_pushboolean(L, 0);
        ThreadSlot = luaL_ref(L, LUA_REGISTRYINDEX);
        lua_settop(L, 0);
    }

    private void OpenLibrary(delegate* unmanaged[Cdecl]<nint, int> open)
    {
        lua_pushcclosure(_L, open, 0);
        Check(lua_pcall(_L, 0, 1), "open a library");
    }

    private void PushHostFunction(delegate* unmanaged[Cdecl]<nint, int> fn)
    {
        lua_pushlightuserdata(_L, _block);
        lua_pushcclosure(_L, fn, 1);
    }

    private void Check(int status, string what)
    {
        if (status != LUA_OK)
        {
            string message = lua_type(_L, -1) == LUA_TSTRING ? System.Text.Encoding.UTF8.GetString(StringBytes(_L, -1)) : $"status {status}";
            throw new AsoException(CometErrorCode.Internal, $"The sandbox could not {what}: {message}");
        }
    }

    /// <summary>Starts a handler call's accounting: fresh instruction budget, no trip, no refused allocations.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void ResetGuard()
    {
        _block->InstructionsUsed = 0;
        _block->Tripped = GuardTrip.None;
        _block->RefusedAllocations = 0;
        _block->DeleteRequested = 0;
    }

    /// <summary>
    /// Re-arms the guard hook of a coroutine that finished its last call cleanly: the same Lua
    /// hook function (its per-thread entry is still in place), a full count.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Rearm(nint co) => lua_sethook(co, lua_gethook(co), LUA_MASKCOUNT, HookInterval);

    /// <summary>
    /// Resumes <paramref name="co"/> with the heap budget enforced and the wall-clock deadline
    /// set to what is left of <paramref name="budgetTicks"/>; adds the time spent to
    /// <paramref name="activeTicks"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Resume(nint co, int nargs, long budgetTicks, ref long activeTicks, out int nres)
    {
        var block = _block;
        long start = Stopwatch.GetTimestamp();
        block->DeadlineTimestamp = start + (budgetTicks - activeTicks);
        block->EnforceBudget = 1;
        int results;
        int status = lua_resume(co, _L, nargs, &results);
        block->EnforceBudget = 0;
        activeTicks += Stopwatch.GetTimestamp() - start;
        nres = results;
        return status;
    }

    /// <summary>Loads user source in text mode only, with the heap budget enforced (the compiled code is part of the object).</summary>
    public int LoadUserCode(ReadOnlySpan<byte> code)
    {
        _block->EnforceBudget = 1;
        try
        {
            fixed (byte* p = code)
            fixed (byte* name = "=aso\0"u8)
            fixed (byte* mode = "t\0"u8)
            {
                byte empty = 0;
                return luaL_loadbufferx(_L, p == null ? &empty : p, (nuint)code.Length, name, mode);
            }
        }
        finally
        {
            _block->EnforceBudget = 0;
        }
    }

    /// <summary>A full collection, host side (no finalizers can run: __gc is refused).</summary>
    public void Collect() => lua_gc(_L, LUA_GCCOLLECT);

    public void Dispose()
    {
        Close();
        GC.SuppressFinalize(this);
    }

    private void Close()
    {
        nint L = Interlocked.Exchange(ref _L, 0);
        if (L != 0)
        {
            lua_close(L);
        }
        var block = _block;
        _block = null;
        if (block != null)
        {
            ResidualBytes = block->HeapUsed;
            GCHandle.FromIntPtr(block->ClockHandle).Free();
            NativeMemory.Free(block);
        }
    }

    // CallbackRule: every [UnmanagedCallersOnly] method of the sandbox is a one-line shim that
    // calls a [MethodImpl(NoInlining)] body and returns its result; the bodies do the work.
    // Why: the JIT puts the GC poll that follows a [SuppressGCTransition] P/Invoke (most of
    // LuaNative, libc realloc/free, Stopwatch.GetTimestamp) after the callback's
    // REVERSE_PINVOKE_EXIT when the P/Invoke is the callback's last call (seen in the .NET 10
    // disassembly of the old ChargeFn: lua_pushinteger, exit, then the poll). When a garbage
    // collection is pending at that instant, the poll helper returns with the thread in
    // cooperative mode, back into native Lua; the next native->managed callback then fails
    // fast with "attempted to call a UnmanagedCallersOnly method from managed code" inside
    // lua_resume. In a body that is never inlined, the poll runs before the body returns, while
    // the thread is still cooperative, where it belongs. CallbackRuleTests enforces the rule.
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Panic(nint L) => PanicBody();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int PanicBody()
    {
        // Reached only by an error outside any protected call: a sandbox bug. Lua would abort();
        // fail fast with a message instead.
        Environment.FailFast("Lua panic in the ASO sandbox: an error escaped every protected call.");
        return 0;
    }
}
