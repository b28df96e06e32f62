namespace Comet.Gateway.Security;

/// <summary>
/// Token buckets on requests at this silo's gateways: one per client (API key id, or remote address when anonymous)
/// and one per object. A request over either answers RateLimited (429) with the time until a token is back.
/// Zero turns a limit off. Defaults are far above what one silo serves on this hardware.
/// </summary>
public sealed class RateLimitOptions
{
    /// <summary>Sustained requests per second per client. Default 200,000.</summary>
    public double ClientRequestsPerSecond { get; set; } = 200_000;

    /// <summary>Requests a client may send at once above its rate. Default 200,000.</summary>
    public double ClientBurst { get; set; } = 200_000;

    /// <summary>Sustained requests per second per object (namespace + key). Default 100,000.</summary>
    public double ObjectRequestsPerSecond { get; set; } = 100_000;

    /// <summary>Requests one object may receive at once above its rate. Default 100,000.</summary>
    public double ObjectBurst { get; set; } = 100_000;

    /// <summary>Buckets kept at once per kind; full (idle) buckets are dropped past it. Default 100,000.</summary>
    public int MaxBuckets { get; set; } = 100_000;

    internal void Validate()
    {
        if (ClientRequestsPerSecond < 0 || ObjectRequestsPerSecond < 0) throw new ArgumentException("Security.RateLimits rates must not be negative.");
        if (ClientRequestsPerSecond > 0 && ClientBurst < 1) throw new ArgumentException("Security.RateLimits.ClientBurst must be at least 1.");
        if (ObjectRequestsPerSecond > 0 && ObjectBurst < 1) throw new ArgumentException("Security.RateLimits.ObjectBurst must be at least 1.");
        if (MaxBuckets < 1) throw new ArgumentException("Security.RateLimits.MaxBuckets must be at least 1.");
    }
}
