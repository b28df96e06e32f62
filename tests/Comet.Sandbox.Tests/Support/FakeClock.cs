using Comet.Sandbox;

namespace Comet.Sandbox.Tests.Support;

/// <summary>A clock the test moves by hand.</summary>
internal sealed class FakeClock(long now = 1_700_000_000_000) : IAsoClock
{
    private long _now = now;

    public long NowMilliseconds() => Interlocked.Read(ref _now);

    public void Advance(long milliseconds) => Interlocked.Add(ref _now, milliseconds);
}
