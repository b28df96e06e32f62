using Comet.Abstractions.Versions;
using Comet.Abstractions.Options;
using Comet.Abstractions.Protocol;
using Comet.Grid.Replication;

namespace Comet.Grid.Repair;

/// <summary>One key in a bucket listing: its address and <see cref="PartitionDigest.EntryHash"/>.</summary>
public sealed record DigestKey(string Namespace, string Key, ulong Hash);

public static class RepairMessages
{
    public static void WriteDigest(ref PayloadWriter w, ulong[] buckets)
    {
        foreach (var b in buckets) w.WriteInt64((long)b);
    }

    public static ulong[] ReadDigest(ref PayloadReader r)
    {
        var buckets = new ulong[PartitionDigest.Buckets];
        for (var i = 0; i < buckets.Length; i++) buckets[i] = (ulong)r.ReadInt64();
        r.ExpectEnd();
        return buckets;
    }

    public static void WriteKeys(ref PayloadWriter w, IReadOnlyList<DigestKey> keys)
    {
        w.WriteVarUInt((ulong)keys.Count);
        foreach (var k in keys)
        {
            w.WriteString(k.Namespace);
            w.WriteString(k.Key);
            w.WriteInt64((long)k.Hash);
        }
    }

    public static List<DigestKey> ReadKeys(ref PayloadReader r)
    {
        var count = r.ReadLength(1 << 20);
        var keys = new List<DigestKey>(count);
        for (var i = 0; i < count; i++) keys.Add(new DigestKey(r.ReadString(), r.ReadString(), (ulong)r.ReadInt64()));
        return keys;
    }

    public static void WriteEntries(ref PayloadWriter w, IReadOnlyList<VersionEntry> entries)
    {
        w.WriteVarUInt((ulong)entries.Count);
        foreach (var e in entries) e.WriteTo(ref w);
    }

    public static List<VersionEntry> ReadEntries(ref PayloadReader r)
    {
        var count = r.ReadLength(1024);
        var entries = new List<VersionEntry>(count);
        for (var i = 0; i < count; i++) entries.Add(VersionEntry.ReadFrom(ref r));
        return entries;
    }
}
