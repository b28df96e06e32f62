namespace Comet.Abstractions.Options;

/// <summary>One application namespace (tenant): its replication and lifetime settings.</summary>
public sealed class NamespaceOptions
{
    /// <summary>Replicas per key.</summary>
    public int N { get; set; } = 3;

    /// <summary>Replicas that must answer a get.</summary>
    public int R { get; set; } = 2;

    /// <summary>Replicas that must acknowledge a put.</summary>
    public int W { get; set; } = 2;

    /// <summary>Lifetime of a put that names none (OpenDHT). Zero: no expiry.</summary>
    public TimeSpan DefaultTtl { get; set; } = TimeSpan.Zero;

    /// <summary>Longest lifetime a put or an ASO may ask for. Zero: unbounded.</summary>
    public TimeSpan MaxTtl { get; set; } = TimeSpan.Zero;

    /// <summary>Whether anonymous clients may use this namespace (only in dev mode, only from loopback).</summary>
    public bool AllowAnonymous { get; set; }

    public void Validate(string name)
    {
        if (N < 1 || R < 1 || W < 1 || R > N || W > N)
            throw new ArgumentException($"Namespace '{name}': need 1 <= R, W <= N.");
        if (DefaultTtl < TimeSpan.Zero || MaxTtl < TimeSpan.Zero)
            throw new ArgumentException($"Namespace '{name}': lifetimes must not be negative.");
        if (MaxTtl > TimeSpan.Zero && DefaultTtl > MaxTtl)
            throw new ArgumentException($"Namespace '{name}': DefaultTtl exceeds MaxTtl.");
    }
}
