namespace Comet.Sandbox;

/// <summary>The clock behind <c>comet.getSystemTime()</c> and the neighbour-call rate limit.</summary>
public interface IAsoClock
{
    /// <summary>Milliseconds since the Unix epoch.</summary>
    long NowMilliseconds();
}

/// <summary>The system's UTC clock.</summary>
public sealed class SystemAsoClock : IAsoClock
{
    /// <summary>The shared instance.</summary>
    public static SystemAsoClock Instance { get; } = new();

    /// <inheritdoc />
    public long NowMilliseconds() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}
