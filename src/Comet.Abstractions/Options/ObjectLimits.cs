namespace Comet.Abstractions.Options;

/// <summary>
/// Size limits on what a client may store (DESIGN.md, The object model). Silos enforce them;
/// the SDK checks them too, so an oversized request fails before it reaches the network.
/// </summary>
public sealed class ObjectLimits
{
    /// <summary>Longest key in UTF-8 bytes.</summary>
    public int MaxKeyBytes { get; set; } = 1024;

    /// <summary>Longest namespace name in characters.</summary>
    public int MaxNamespaceLength { get; set; } = 64;

    /// <summary>Largest passive value, and largest encoded ASO state, in bytes.</summary>
    public int MaxValueBytes { get; set; } = 1024 * 1024;

    /// <summary>Largest ASO Lua source in bytes.</summary>
    public int MaxCodeBytes { get; set; } = 64 * 1024;

    public void Validate()
    {
        if (MaxKeyBytes is < 1 or > 64 * 1024) throw new ArgumentOutOfRangeException(nameof(MaxKeyBytes), "1..65536");
        if (MaxNamespaceLength is < 1 or > 255) throw new ArgumentOutOfRangeException(nameof(MaxNamespaceLength), "1..255");
        if (MaxValueBytes < 1) throw new ArgumentOutOfRangeException(nameof(MaxValueBytes), "must be positive");
        if (MaxCodeBytes < 1) throw new ArgumentOutOfRangeException(nameof(MaxCodeBytes), "must be positive");
    }

    public static ObjectLimits Default { get; } = new();
}
