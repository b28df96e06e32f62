using Comet.Abstractions.Options;
using Comet.Abstractions.Protocol;
using Comet.Abstractions.Versions;
using Comet.Grid.Replication;

namespace Comet.Grid.Messaging;

public sealed record ReplicaPutRequest(string Namespace, string Key, VersionEntry Entry, PutMode Mode, CallerInfo Caller)
{
    public void WriteTo(ref PayloadWriter w)
    {
        w.WriteString(Namespace);
        w.WriteString(Key);
        Entry.WriteTo(ref w);
        w.WriteByte((byte)Mode);
        Caller.WriteTo(ref w);
    }

    public static ReplicaPutRequest ReadFrom(ref PayloadReader r)
    {
        var ns = r.ReadString();
        var key = r.ReadString();
        var entry = VersionEntry.ReadFrom(ref r);
        var mode = r.ReadByte();
        if (mode > (byte)PutMode.Neighbour) throw PayloadReader.Malformed("unknown put mode");
        return new ReplicaPutRequest(ns, key, entry, (PutMode)mode, CallerInfo.ReadFrom(ref r));
    }
}

public sealed record ReplicaGetRequest(string Namespace, string Key, string? Version, CallerInfo Caller)
{
    public void WriteTo(ref PayloadWriter w)
    {
        w.WriteString(Namespace);
        w.WriteString(Key);
        w.WriteNullableString(Version);
        Caller.WriteTo(ref w);
    }

    public static ReplicaGetRequest ReadFrom(ref PayloadReader r) =>
        new(r.ReadString(), r.ReadString(), r.ReadNullableString(), CallerInfo.ReadFrom(ref r));
}

/// <summary>
/// One version a replica reports for a get. Tombstones and expired versions are reported as
/// <see cref="ObjectKind.Tombstone"/> so the coordinator can tell that they supersede older
/// versions another replica may still hold.
/// </summary>
public sealed record ReplicaItem(ObjectVersion Version, ObjectKind Kind, ReadOnlyMemory<byte> Data, long ExpiresAtMs)
{
    public void WriteTo(ref PayloadWriter w)
    {
        Version.WriteTo(ref w);
        w.WriteByte((byte)Kind);
        w.WriteBytes(Data.Span);
        w.WriteVarInt(ExpiresAtMs);
    }

    public static ReplicaItem ReadFrom(ref PayloadReader r)
    {
        var version = ObjectVersion.ReadFrom(ref r);
        var kind = r.ReadByte();
        if (kind > (byte)ObjectKind.Tombstone) throw PayloadReader.Malformed("unknown object kind");
        return new ReplicaItem(version, (ObjectKind)kind, r.ReadBytes(), r.ReadVarInt());
    }
}

public sealed record ReplicaGetResponse(IReadOnlyList<ReplicaItem> Items)
{
    public void WriteTo(ref PayloadWriter w)
    {
        w.WriteVarUInt((ulong)Items.Count);
        foreach (var item in Items) item.WriteTo(ref w);
    }

    public static ReplicaGetResponse ReadFrom(ref PayloadReader r)
    {
        var count = r.ReadLength(1024);
        var items = new ReplicaItem[count];
        for (var i = 0; i < count; i++) items[i] = ReplicaItem.ReadFrom(ref r);
        return new ReplicaGetResponse(items);
    }
}
