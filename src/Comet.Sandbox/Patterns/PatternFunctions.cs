using System.Runtime.InteropServices;
using System.Runtime.CompilerServices;
using Comet.Sandbox.Native;
using static Comet.Sandbox.Native.LuaNative;

namespace Comet.Sandbox.Patterns;

/// <summary>
/// The one C function behind the sandbox's <c>string.find/match/gmatch/gsub</c>:
/// <c>pmatch(s, p, init, flags, lastmatch)</c>. It answers with integers only (positions and
/// lengths), so it never allocates Lua memory and never raises; the Lua wrappers in the setup
/// chunk cut the captures out with <c>string.sub</c> and raise the errors.
/// </summary>
/// <remarks>
/// Answer: <c>start, end, ncap, (cstart, clen) * ncap</c> on a match (1-based, <c>end</c>
/// inclusive; <c>clen</c> is -1 for a position capture, -3 for an unfinished one); <c>0</c> when
/// nothing matches; <c>-1</c>/<c>-2</c> when the instruction/time guard tripped; <c>-(10 + error)</c>
/// and an argument for a malformed pattern (<see cref="PatternError"/>).
/// </remarks>
internal static unsafe class PatternFunctions
{
    /// <summary>Strip a leading '^' and try only at <c>init</c> when present (find, match, gsub).</summary>
    public const int FlagAnchor = 1;

    /// <summary>Plain search: no magic characters (find's fourth argument).</summary>
    public const int FlagPlain = 2;

    /// <summary>Plain search when the pattern has no magic characters (find).</summary>
    public const int FlagAutoPlain = 4;

    private const int ErrorBase = 10;

    public static delegate* unmanaged[Cdecl]<nint, int> Match => &MatchFn;

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int MatchFn(nint L) => MatchBody(L);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int MatchBody(nint L)
    {
        try
        {
            return Run(L);
        }
#pragma warning disable CA1031 // Nothing may unwind into native code.
        catch (Exception)
#pragma warning restore CA1031
        {
            lua_settop(L, 0);
            lua_pushinteger(L, -(ErrorBase + (int)PatternError.TooComplex));
            lua_pushinteger(L, 0);
            return 2;
        }
    }

    private static int Run(nint L)
    {
        var block = HostFunctions.BlockOf(L);
        if (lua_type(L, 1) != LUA_TSTRING || lua_type(L, 2) != LUA_TSTRING)
        {
            return Fail(L, PatternError.TooComplex, 0);
        }
        ReadOnlySpan<byte> src = StringBytes(L, 1);
        ReadOnlySpan<byte> pat = StringBytes(L, 2);
        long initArg = ToInteger(L, 3);
        int flags = (int)ToInteger(L, 4);
        long lastMatch = ToInteger(L, 5);

        long init = PosRelat(initArg, src.Length) - 1;
        if (init > src.Length)
        {
            return NoMatch(L);
        }

        long ratio = Math.Max(1, block->PatternStepsPerInstruction);
        long remaining = Math.Max(0, block->InstructionLimit - block->InstructionsUsed);
        long maxSteps = remaining > long.MaxValue / ratio ? long.MaxValue : remaining * ratio;
        long steps = 0;
        int start;
        int end;
        Span<int> capInit = stackalloc int[LuaPatternMatcher.MaxCaptures];
        Span<int> capLen = stackalloc int[LuaPatternMatcher.MaxCaptures];
        int level = 0;
        try
        {
            bool plain = (flags & FlagPlain) != 0 || ((flags & FlagAutoPlain) != 0 && LuaPatternMatcher.NoSpecials(pat));
            if (plain)
            {
                start = LuaPatternMatcher.FindPlain(src, pat, (int)init, maxSteps, out steps, block->DeadlineTimestamp);
                end = start < 0 ? -1 : start + pat.Length;
            }
            else
            {
                bool anchor = (flags & FlagAnchor) != 0 && pat.Length > 0 && pat[0] == '^';
                var matcher = new LuaPatternMatcher(src, anchor ? pat[1..] : pat, capInit, capLen, maxSteps, block->DeadlineTimestamp);
                try
                {
                    start = matcher.Scan((int)init, anchor, (int)Math.Clamp(lastMatch, -1, int.MaxValue), out end);
                    level = matcher.Level;
                }
                finally
                {
                    steps = matcher.Steps;
                }
            }
        }
        catch (PatternException e) when (e.Error == PatternError.Budget)
        {
            if (System.Diagnostics.Stopwatch.GetTimestamp() > block->DeadlineTimestamp)
            {
                InstructionGuard.TripTime(block);
            }
            else
            {
                InstructionGuard.ChargeUnits(block, double.PositiveInfinity);
            }
            return Tripped(L, block);
        }
        catch (PatternException e)
        {
            return Fail(L, e.Error, e.Argument);
        }

        if (InstructionGuard.ChargeUnits(block, (steps + ratio - 1) / ratio) != GuardTrip.None)
        {
            return Tripped(L, block);
        }
        if (start < 0)
        {
            return NoMatch(L);
        }
        if (lua_checkstack(L, 3 + 2 * level) == 0)
        {
            return Fail(L, PatternError.TooComplex, 0);
        }
        lua_settop(L, 0);
        lua_pushinteger(L, start + 1);
        lua_pushinteger(L, end);
        lua_pushinteger(L, level);
        for (int i = 0; i < level; i++)
        {
            int len = capLen[i];
            lua_pushinteger(L, capInit[i] + 1);
            lua_pushinteger(L, len == LuaPatternMatcher.CapPosition ? -1 : len == LuaPatternMatcher.CapUnfinished ? -3 : len);
        }
        return 3 + 2 * level;
    }

    /// <summary>lstrlib's <c>posrelatI</c>: a 1-based start from a possibly negative position.</summary>
    private static long PosRelat(long pos, int len)
    {
        if (pos > 0)
        {
            return pos;
        }
        if (pos == 0 || pos < -(long)len)
        {
            return 1;
        }
        return len + pos + 1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int NoMatch(nint L)
    {
        lua_settop(L, 0);
        lua_pushinteger(L, 0);
        return 1;
    }

    private static int Tripped(nint L, SandboxBlock* block)
    {
        lua_settop(L, 0);
        lua_pushinteger(L, -block->Tripped);
        return 1;
    }

    private static int Fail(nint L, PatternError error, int argument)
    {
        lua_settop(L, 0);
        lua_pushinteger(L, -(ErrorBase + (int)error));
        lua_pushinteger(L, argument);
        return 2;
    }
}
