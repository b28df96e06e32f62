using System.Buffers;
using Comet.Abstractions.Protocol;

namespace Comet.Abstractions.Versions;

/// <summary>
/// Everything one replica persists for one key, in one storage row: the live versions (one,
/// or several concurrent siblings) and the superseded versions it keeps for history (newest
/// first, at most V - 1 of them). One row per key keeps a put to a single write.
/// </summary>
public sealed class ReplicaRecord
{
    private const byte FormatVersion = 1;

    public ReplicaRecord(string ns, string key, List<VersionEntry> live, List<VersionEntry> history)
    {
        Namespace = ns;
        Key = key;
        Live = live;
        History = history;
    }

    public string Namespace { get; }

    public string Key { get; }

    /// <summary>Versions no other version here supersedes (siblings when more than one).</summary>
    public List<VersionEntry> Live { get; }

    /// <summary>Superseded versions, newest first.</summary>
    public List<VersionEntry> History { get; }

    public bool IsEmpty => Live.Count == 0 && History.Count == 0;

    /// <summary>The highest counter this replica has seen for <paramref name="node"/>, in any version.</summary>
    public ulong MaxCounterOf(string node)
    {
        ulong max = 0;
        foreach (var e in Live) max = Math.Max(max, e.Version.CausalClock[node]);
        foreach (var e in History) max = Math.Max(max, e.Version.CausalClock[node]);
        return max;
    }

    /// <summary>What this replica has seen: the context for a put that should overwrite it.</summary>
    public VectorClock CausalClock()
    {
        var clock = VectorClock.Empty;
        foreach (var e in Live) clock = clock.Merge(e.Version.CausalClock);
        return clock;
    }

    public bool Knows(Dot dot)
    {
        foreach (var e in Live) if (e.Version.Dot == dot) return true;
        foreach (var e in History) if (e.Version.Dot == dot) return true;
        return false;
    }

    public byte[] Encode()
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        var w = new PayloadWriter(buffer);
        w.WriteByte(FormatVersion);
        w.WriteString(Namespace);
        w.WriteString(Key);
        w.WriteVarUInt((ulong)Live.Count);
        foreach (var e in Live) e.WriteTo(ref w);
        w.WriteVarUInt((ulong)History.Count);
        foreach (var e in History) e.WriteTo(ref w);
        return buffer.WrittenSpan.ToArray();
    }

    public static ReplicaRecord Decode(ReadOnlySpan<byte> data)
    {
        var r = new PayloadReader(data);
        if (r.ReadByte() != FormatVersion) throw PayloadReader.Malformed("unknown replica record format");
        var ns = r.ReadString();
        var key = r.ReadString();
        var live = ReadList(ref r);
        var history = ReadList(ref r);
        r.ExpectEnd();
        return new ReplicaRecord(ns, key, live, history);
    }

    private static List<VersionEntry> ReadList(ref PayloadReader r)
    {
        var count = r.ReadLength(1024);
        var list = new List<VersionEntry>(count);
        for (var i = 0; i < count; i++) list.Add(VersionEntry.ReadFrom(ref r));
        return list;
    }
}
