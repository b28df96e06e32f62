using System.Diagnostics;

namespace Comet.History.Tests.Recording;

/// <summary>The run's one clock: every operation's start and end, and every fault, are times on it.</summary>
internal sealed class RunClock
{
    private readonly Stopwatch _watch = Stopwatch.StartNew();

    public TimeSpan Now => _watch.Elapsed;
}
