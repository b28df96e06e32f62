using System.Globalization;
using Comet.Abstractions.Errors;

namespace Comet.Gateway.Security;

/// <summary>
/// A request refused for its rate (<see cref="CometErrorCode.RateLimited"/>, HTTP 429) with when to try again.
/// Over the binary protocol the hint travels in the message, as <c>retry after N ms</c> (clients parse it with
/// <see cref="TryReadRetryAfter"/>); over REST also in the <c>Retry-After</c> header and the JSON <c>retryAfterMs</c>.
/// </summary>
public sealed class RateLimitedException : CometException
{
    private const string Marker = "retry after ";

    public RateLimitedException(string reason, TimeSpan retryAfter)
        : base(CometErrorCode.RateLimited, $"{reason}; {Marker}{Math.Max(1, (long)Math.Ceiling(retryAfter.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture)} ms.")
    {
        RetryAfter = retryAfter < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : retryAfter;
    }

    public RateLimitedException() : this("Rate limited", TimeSpan.FromSeconds(1)) { }

    public RateLimitedException(string message) : this(message, TimeSpan.FromSeconds(1)) { }

    public RateLimitedException(string message, Exception innerException) : base(CometErrorCode.RateLimited, message, innerException)
    {
        RetryAfter = TimeSpan.FromSeconds(1);
    }

    /// <summary>How long the caller should wait before sending the same request again.</summary>
    public TimeSpan RetryAfter { get; }

    /// <summary>Reads the hint back out of a RateLimited error's message (binary protocol).</summary>
    public static bool TryReadRetryAfter(string message, out TimeSpan retryAfter)
    {
        ArgumentNullException.ThrowIfNull(message);
        retryAfter = default;
        var at = message.LastIndexOf(Marker, StringComparison.Ordinal);
        if (at < 0) return false;
        var digits = message.AsSpan(at + Marker.Length);
        var end = digits.IndexOf(' ');
        if (end < 0 || !long.TryParse(digits[..end], NumberStyles.None, CultureInfo.InvariantCulture, out var ms)) return false;
        retryAfter = TimeSpan.FromMilliseconds(ms);
        return true;
    }
}
