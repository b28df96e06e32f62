using System.Runtime.InteropServices;

namespace Comet.Sandbox.Native;

/// <summary>
/// The per-state control block, in unmanaged memory so that the allocator and the host
/// functions (called from native code, often thousands of times a handler) reach it with a
/// pointer and no managed lookups. The allocator gets it as its <c>ud</c>; host C functions get
/// it as their first upvalue (a light userdata).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SandboxBlock
{
    /// <summary>Bytes the Lua state holds now.</summary>
    public long HeapUsed;

    /// <summary>The heap budget: growth past it is refused while <see cref="EnforceBudget"/> is set.</summary>
    public long HeapLimit;

    /// <summary>The most the state ever held.</summary>
    public long HeapPeak;

    /// <summary>Non-zero only while Lua code runs (a refused allocation outside a protected call would abort the process).</summary>
    public int EnforceBudget;

    /// <summary>Allocations refused since the counter was last reset (one handler call).</summary>
    public int RefusedAllocations;

    /// <summary>Instruction-equivalents charged to the running handler call.</summary>
    public long InstructionsUsed;

    /// <summary>The instruction budget of one handler call.</summary>
    public long InstructionLimit;

    /// <summary><see cref="System.Diagnostics.Stopwatch"/> timestamp after which the running call is out of time.</summary>
    public long DeadlineTimestamp;

    /// <summary>0 while within limits; otherwise the <see cref="GuardTrip"/> that stopped the call. Sticky for the call.</summary>
    public int Tripped;

    /// <summary>Set by <c>comet.deleteSelf()</c>; reset before each call.</summary>
    public int DeleteRequested;

    /// <summary>Pattern matcher steps that cost one instruction.</summary>
    public long PatternStepsPerInstruction;

    /// <summary>GCHandle (as IntPtr) of the <see cref="IAsoClock"/> serving <c>comet.getSystemTime()</c>.</summary>
    public nint ClockHandle;
}

/// <summary>Why the instruction guard stopped a handler call (values are shared with the setup chunk).</summary>
internal static class GuardTrip
{
    public const int None = 0;
    public const int Instructions = 1;
    public const int Time = 2;
}
