namespace Comet.Sandbox;

/// <summary>
/// Limits of the Lua ASO sandbox (DESIGN.md, "Sandbox"; the Comet paper's limits). Bound from
/// configuration and validated once at start-up with <see cref="Validate"/>.
/// </summary>
public sealed class AsoSandboxOptions
{
    /// <summary>Lua VM instructions one handler call may execute, carried across the resumes of its neighbour calls. C library work that could otherwise run unbounded (pattern matching, <c>table.move</c>) is charged against the same budget.</summary>
    public int InstructionLimit { get; set; } = 100_000;

    /// <summary>Bytes of Lua heap one object may hold, the sandbox's own tables included (about 22 KB).</summary>
    public int MemoryLimitBytes { get; set; } = 100 * 1024;

    /// <summary>Largest accepted Lua source, in UTF-8 bytes.</summary>
    public int MaxCodeBytes { get; set; } = 64 * 1024;

    /// <summary>Largest encoded state (the <c>aso</c> table's data fields) an object may keep.</summary>
    public int MaxStateBytes { get; set; } = 1024 * 1024;

    /// <summary><c>comet.get</c>/<c>comet.put</c> calls one handler call may make (<c>comet.lookup</c> is not counted).</summary>
    public int MaxNeighbourCallsPerHandler { get; set; } = 8;

    /// <summary>Wall-clock guard per handler call, not counting the time spent awaiting neighbour calls.</summary>
    public TimeSpan HandlerTimeout { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Shortest timer period an object may ask for with <c>aso.timerPeriod</c>.</summary>
    public double MinTimerPeriodSeconds { get; set; } = 1;

    /// <summary>Longest timer period an object may ask for (below what .NET and Orleans timers accept, ~24.8 days).</summary>
    public double MaxTimerPeriodSeconds { get; set; } = 2_000_000;

    /// <summary>The longest lifetime <c>aso.ttl</c> may name (100 years: "for ever" without overflowing a timestamp); the operator's maximum may be lower.</summary>
    public const double MaxTtlSeconds = 100 * 365.25 * 24 * 3600;

    /// <summary>Outgoing neighbour calls (<c>comet.get</c>/<c>comet.put</c>) per object per second, over a sliding one-second window.</summary>
    public int MaxNeighbourCallsPerSecond { get; set; } = 20;

    /// <summary>The largest accepted <see cref="MaxNeighbourCallsPerSecond"/>.</summary>
    public const int MaxNeighbourRateCeiling = 100_000;

    /// <summary>How often, in VM instructions, the guard hook runs: it charges the instructions and checks the wall clock. Smaller is more precise and slower.</summary>
    public int HookIntervalInstructions { get; set; } = 1000;

    /// <summary>Pattern matcher steps (one character tried against one pattern item) that cost one instruction.</summary>
    public int PatternStepsPerInstruction { get; set; } = 4;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        Positive(InstructionLimit, nameof(InstructionLimit));
        if (MemoryLimitBytes < 32 * 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(MemoryLimitBytes), MemoryLimitBytes,
                "MemoryLimitBytes must be at least 32768: the sandbox itself needs about 22 KB.");
        }
        Positive(MaxCodeBytes, nameof(MaxCodeBytes));
        Positive(MaxStateBytes, nameof(MaxStateBytes));
        Positive(MaxNeighbourCallsPerHandler, nameof(MaxNeighbourCallsPerHandler));
        Positive(MaxNeighbourCallsPerSecond, nameof(MaxNeighbourCallsPerSecond));
        // The per-object window keeps one timestamp per allowed call; an unbounded rate would size it unboundedly.
        if (MaxNeighbourCallsPerSecond > MaxNeighbourRateCeiling)
            throw new ArgumentOutOfRangeException(nameof(MaxNeighbourCallsPerSecond), MaxNeighbourCallsPerSecond, $"must be at most {MaxNeighbourRateCeiling}");
        Positive(HookIntervalInstructions, nameof(HookIntervalInstructions));
        Positive(PatternStepsPerInstruction, nameof(PatternStepsPerInstruction));
        if (HandlerTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(HandlerTimeout), HandlerTimeout, "HandlerTimeout must be positive.");
        }
        if (!(MinTimerPeriodSeconds > 0) || double.IsInfinity(MinTimerPeriodSeconds))
        {
            throw new ArgumentOutOfRangeException(nameof(MinTimerPeriodSeconds), MinTimerPeriodSeconds,
                "MinTimerPeriodSeconds must be a positive number of seconds.");
        }
        if (!(MaxTimerPeriodSeconds >= MinTimerPeriodSeconds) || MaxTimerPeriodSeconds > int.MaxValue / 1000.0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxTimerPeriodSeconds), MaxTimerPeriodSeconds,
                $"MaxTimerPeriodSeconds must be at least MinTimerPeriodSeconds and at most {int.MaxValue / 1000} (the timers' own maximum).");
        }
    }

    private static void Positive(int value, string name)
    {
        if (value <= 0)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive.");
        }
    }
}
