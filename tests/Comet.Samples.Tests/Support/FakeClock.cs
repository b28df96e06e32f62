using Comet.Sandbox;

namespace Comet.Samples.Tests.Support;

/// <summary>A clock the test moves by hand (comet.getSystemTime and the neighbour-call rate limit).</summary>
internal sealed class FakeClock : IAsoClock
{
    private long _now = 1_700_000_000_000;

    public long NowMilliseconds() => Interlocked.Read(ref _now);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _now, (long)by.TotalMilliseconds);
}
