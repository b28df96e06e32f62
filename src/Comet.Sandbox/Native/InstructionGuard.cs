using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static Comet.Sandbox.Native.LuaNative;

namespace Comet.Sandbox.Native;

/// <summary>
/// The host half of the instruction and time guard. The Lua-written count hook (setup chunk)
/// calls <c>charge(n)</c> every n VM instructions; wrappers of C functions that could otherwise
/// run unbounded (pattern matching, <c>table.move</c>) charge their work the same way. The
/// answer is the sticky <see cref="GuardTrip"/> code: the Lua side raises the error (a C#
/// callback never may), and the host reads the same code to classify the failure.
/// </summary>
internal static unsafe class InstructionGuard
{
    public static delegate* unmanaged[Cdecl]<nint, int> Charge => &ChargeFn;

    /// <summary>
    /// Charges <paramref name="units"/> instruction-equivalents to the running call and checks the
    /// wall clock. Returns the (sticky) <see cref="GuardTrip"/> code.
    /// </summary>
    public static int ChargeUnits(SandboxBlock* block, double units)
    {
        if (block->Tripped != GuardTrip.None)
        {
            return block->Tripped;
        }
        long remaining = block->InstructionLimit - block->InstructionsUsed;
        // NaN, negative and huge counts: anything not provably small exhausts the budget.
        if (!(units >= 0) || units >= remaining)
        {
            block->InstructionsUsed = block->InstructionLimit;
            block->Tripped = GuardTrip.Instructions;
            return block->Tripped;
        }
        block->InstructionsUsed += (long)units;
        if (Stopwatch.GetTimestamp() > block->DeadlineTimestamp)
        {
            block->Tripped = GuardTrip.Time;
        }
        return block->Tripped;
    }

    /// <summary>Stops the running call for time (host work done for it ran past its deadline).</summary>
    public static void TripTime(SandboxBlock* block)
    {
        if (block->Tripped == GuardTrip.None)
        {
            block->Tripped = GuardTrip.Time;
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int ChargeFn(nint L) => ChargeBody(L);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ChargeBody(nint L)
    {
        var block = HostFunctions.BlockOf(L);
        double units = lua_type(L, 1) == LUA_TNUMBER ? lua_tonumberx(L, 1, null) : double.NaN;
        lua_pushinteger(L, ChargeUnits(block, units));
        return 1;
    }
}
