using Comet.Abstractions.Versions;
using Comet.Abstractions.Options;
using System.Text;
using Comet.Grid.Replication;

namespace Comet.Grid.Repair;

/// <summary>
/// A two-level Merkle summary of what one silo holds for one ring partition: each key's live
/// version set hashes to one value, keys fall into <see cref="Buckets"/> buckets, and a bucket's
/// hash is the XOR of its keys' hashes. Replicas compare the bucket level first and exchange key
/// lists only for buckets that differ, so repair costs grow with the difference, not the data.
/// Hashes are FNV-1a 64, stable across processes and platforms.
/// </summary>
public static class PartitionDigest
{
    public const int Buckets = 64;

    public static ulong KeyHash(string rowKey) => Fnv(Encoding.UTF8.GetBytes(rowKey), Offset);

    public static int BucketOf(string rowKey) => (int)(KeyHash(rowKey) % Buckets);

    /// <summary>The hash of a key's live versions (their dots, order-independent): equal exactly when both replicas hold the same versions.</summary>
    public static ulong EntryHash(ReplicaRecord record)
    {
        var hash = KeyHash(record.Namespace + "/" + record.Key);
        ulong versions = 0;
        foreach (var entry in record.Live) versions ^= Fnv(Encoding.UTF8.GetBytes(entry.Version.Id), Offset);
        return hash ^ (versions * Prime);
    }

    private const ulong Offset = 14695981039346656037UL;
    private const ulong Prime = 1099511628211UL;

    private static ulong Fnv(ReadOnlySpan<byte> bytes, ulong hash)
    {
        foreach (var b in bytes)
        {
            hash ^= b;
            hash *= Prime;
        }
        return hash;
    }
}
