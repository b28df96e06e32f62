using Comet.Abstractions.Protocol;
using Comet.Abstractions.Versions;

namespace Comet.Grains;

/// <summary>The kept versions of one replica (OceanStore's time travel): what is kept, and what is shown.</summary>
internal static class VersionHistory
{
    /// <summary>Keeps at most V versions in all and at most the history byte budget of data; older ones keep only their metadata.</summary>
    public static List<VersionEntry> Trim(IEnumerable<VersionEntry> history, int liveCount, CometGridOptions options)
    {
        var max = Math.Max(0, options.HistoryDepth - liveCount);
        var budget = (long)options.HistoryBudgetBytes;
        var kept = new List<VersionEntry>(max);
        foreach (var entry in history)
        {
            if (kept.Count >= max) break;
            if (entry.PayloadDropped || entry.Payload.Length <= budget)
            {
                budget -= entry.Payload.Length;
                kept.Add(entry);
            }
            else
            {
                kept.Add(entry with { Payload = ReadOnlyMemory<byte>.Empty, PayloadDropped = true });
            }
        }
        return kept;
    }

    /// <summary>
    /// A version as history keeps it once <paramref name="by"/> replaced it. An ASO that was deleted
    /// (by a delete, or by its own <c>comet.deleteSelf</c>: a one-time value) and any version that
    /// expired keep only their metadata: their data is gone for every reader, <c>?version=</c> included.
    /// A passive value overwritten or deleted keeps its data (time travel).
    /// </summary>
    public static VersionEntry Retire(VersionEntry entry, VersionEntry by, long nowMs)
    {
        var erase = entry.IsExpired(nowMs) || (entry.Kind == ObjectKind.Aso && by.Kind == ObjectKind.Tombstone);
        return erase && !entry.PayloadDropped ? entry with { Payload = ReadOnlyMemory<byte>.Empty, PayloadDropped = true } : entry;
    }

    /// <summary>Since when a version hides its key: a deletion since it was written, an expired version since it expired.</summary>
    public static long HiddenSince(VersionEntry entry) =>
        entry.Kind == ObjectKind.Tombstone || entry.ExpiresAtMs == VersionEntry.NoExpiry ? entry.WrittenAtMs : Math.Max(entry.WrittenAtMs, entry.ExpiresAtMs);

    /// <summary>A version's metadata: never its data or code, which only the object's handlers may reveal.</summary>
    public static HistoryItem Describe(VersionEntry entry, bool live) =>
        new(entry.Version.Id, entry.Kind, live && entry.Kind != ObjectKind.Tombstone, entry.WrittenAtMs, entry.ExpiresAtMs,
            entry.Payload.Length + (entry.Code?.Length ?? 0), !entry.PayloadDropped);
}
