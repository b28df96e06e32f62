using Comet.Abstractions.Versions;

namespace Comet.Abstractions.Protocol;

/// <summary>Store a passive value or an ASO. <see cref="Context"/> is the causal context token of a previous get (null: overwrite what the coordinator has).</summary>
public sealed record PutRequest(
    string Namespace,
    string Key,
    ObjectKind Kind,
    ReadOnlyMemory<byte> Value,
    string? Code,
    string? Context,
    int? TtlSeconds,
    QuorumOptions Quorum,
    string? ArgsJson)
{
    public void WriteTo(ref PayloadWriter w)
    {
        w.WriteString(Namespace);
        w.WriteString(Key);
        w.WriteByte((byte)Kind);
        w.WriteBytes(Value.Span);
        w.WriteNullableString(Code);
        w.WriteNullableString(Context);
        w.WriteVarUInt((ulong)(TtlSeconds ?? 0));
        Quorum.WriteTo(ref w);
        w.WriteNullableString(ArgsJson);
    }

    public static PutRequest ReadFrom(ref PayloadReader r)
    {
        var ns = r.ReadString();
        var key = r.ReadString();
        var kind = r.ReadByte() switch
        {
            0 => ObjectKind.Value,
            1 => ObjectKind.Aso,
            _ => throw PayloadReader.Malformed("a put's kind is neither value nor ASO"),
        };
        var value = r.ReadBytes();
        var code = r.ReadNullableString();
        var context = r.ReadNullableString();
        var ttl = r.ReadLength(int.MaxValue);
        var quorum = QuorumOptions.ReadFrom(ref r);
        var args = r.ReadNullableString();
        return new PutRequest(ns, key, kind, value, code, context, ttl == 0 ? null : ttl, quorum, args);
    }
}

/// <summary>
/// A successful put: the new version's id, the context to send with a follow-up put, how many
/// replicas acknowledged, and whether the key had no version before (REST answers 201 then).
/// </summary>
public sealed record PutResponse(string Version, string Context, int Replicas, bool Created)
{
    public void WriteTo(ref PayloadWriter w)
    {
        w.WriteString(Version);
        w.WriteString(Context);
        w.WriteVarUInt((ulong)Replicas);
        w.WriteBool(Created);
    }

    public static PutResponse ReadFrom(ref PayloadReader r) => new(r.ReadString(), r.ReadString(), r.ReadLength(1024), r.ReadBool());
}

/// <summary>Read a key: the live version(s), or one kept version by id.</summary>
public sealed record GetRequest(string Namespace, string Key, string? Version, QuorumOptions Quorum, string? ArgsJson)
{
    public void WriteTo(ref PayloadWriter w)
    {
        w.WriteString(Namespace);
        w.WriteString(Key);
        w.WriteNullableString(Version);
        Quorum.WriteTo(ref w);
        w.WriteNullableString(ArgsJson);
    }

    public static GetRequest ReadFrom(ref PayloadReader r) =>
        new(r.ReadString(), r.ReadString(), r.ReadNullableString(), QuorumOptions.ReadFrom(ref r), r.ReadNullableString());
}

/// <summary>
/// One version in a get answer. For a passive value <see cref="Data"/> is its bytes; for an ASO
/// it is the UTF-8 JSON of what <c>onGet</c> returned (or of <c>aso.value</c>).
/// </summary>
public sealed record GetItem(string Version, ObjectKind Kind, ReadOnlyMemory<byte> Data, long ExpiresAtMs)
{
    public void WriteTo(ref PayloadWriter w)
    {
        w.WriteString(Version);
        w.WriteByte((byte)Kind);
        w.WriteBytes(Data.Span);
        w.WriteVarInt(ExpiresAtMs);
    }

    public static GetItem ReadFrom(ref PayloadReader r)
    {
        var version = r.ReadString();
        var kind = r.ReadByte();
        if (kind > 1) throw PayloadReader.Malformed("a get item's kind is neither value nor ASO");
        return new GetItem(version, (ObjectKind)kind, r.ReadBytes(), r.ReadVarInt());
    }
}

/// <summary>The answer to a get: one item normally, several when concurrent versions (siblings) exist.</summary>
public sealed record GetResponse(IReadOnlyList<GetItem> Items, string Context)
{
    public void WriteTo(ref PayloadWriter w)
    {
        w.WriteVarUInt((ulong)Items.Count);
        foreach (var item in Items) item.WriteTo(ref w);
        w.WriteString(Context);
    }

    public static GetResponse ReadFrom(ref PayloadReader r)
    {
        var count = r.ReadLength(VectorClock.MaxEntries * 4);
        var items = new GetItem[count];
        for (var i = 0; i < count; i++) items[i] = GetItem.ReadFrom(ref r);
        return new GetResponse(items, r.ReadString());
    }
}

public sealed record DeleteRequest(string Namespace, string Key, string? Context, QuorumOptions Quorum, string? ArgsJson)
{
    public void WriteTo(ref PayloadWriter w)
    {
        w.WriteString(Namespace);
        w.WriteString(Key);
        w.WriteNullableString(Context);
        Quorum.WriteTo(ref w);
        w.WriteNullableString(ArgsJson);
    }

    public static DeleteRequest ReadFrom(ref PayloadReader r) =>
        new(r.ReadString(), r.ReadString(), r.ReadNullableString(), QuorumOptions.ReadFrom(ref r), r.ReadNullableString());
}

public sealed record HistoryRequest(string Namespace, string Key)
{
    public void WriteTo(ref PayloadWriter w)
    {
        w.WriteString(Namespace);
        w.WriteString(Key);
    }

    public static HistoryRequest ReadFrom(ref PayloadReader r) => new(r.ReadString(), r.ReadString());
}

/// <summary>
/// One kept version (OceanStore's time travel). <see cref="Value"/> is the passive value or the
/// ASO's state as written; it is null when the version was kept without its data (older
/// versions beyond the history byte budget keep only their metadata).
/// </summary>
public sealed record HistoryItem(string Version, ObjectKind Kind, bool Live, long WrittenAtMs, long ExpiresAtMs, string? Code, ReadOnlyMemory<byte>? Value)
{
    public void WriteTo(ref PayloadWriter w)
    {
        w.WriteString(Version);
        w.WriteByte((byte)Kind);
        w.WriteBool(Live);
        w.WriteVarInt(WrittenAtMs);
        w.WriteVarInt(ExpiresAtMs);
        w.WriteNullableString(Code);
        w.WriteNullableBytes(Value);
    }

    public static HistoryItem ReadFrom(ref PayloadReader r)
    {
        var version = r.ReadString();
        var kind = r.ReadByte();
        if (kind > 2) throw PayloadReader.Malformed("a history item's kind is unknown");
        var live = r.ReadBool();
        var written = r.ReadVarInt();
        var expires = r.ReadVarInt();
        var code = r.ReadNullableString();
        var value = r.ReadNullableBytes();
        return new HistoryItem(version, (ObjectKind)kind, live, written, expires, code, value is null ? null : value);
    }
}

public sealed record HistoryResponse(IReadOnlyList<HistoryItem> Items)
{
    public void WriteTo(ref PayloadWriter w)
    {
        w.WriteVarUInt((ulong)Items.Count);
        foreach (var item in Items) item.WriteTo(ref w);
    }

    public static HistoryResponse ReadFrom(ref PayloadReader r)
    {
        var count = r.ReadLength(4096);
        var items = new HistoryItem[count];
        for (var i = 0; i < count; i++) items[i] = HistoryItem.ReadFrom(ref r);
        return new HistoryResponse(items);
    }
}

/// <summary>A silo as clients see it: where to send requests.</summary>
public sealed record SiloEndpoint(string Id, string Host, int SiloPort, int GatewayPort, int HttpPort, string Status)
{
    public void WriteTo(ref PayloadWriter w)
    {
        w.WriteString(Id);
        w.WriteString(Host);
        w.WriteVarUInt((ulong)SiloPort);
        w.WriteVarUInt((ulong)GatewayPort);
        w.WriteVarInt(HttpPort);
        w.WriteString(Status);
    }

    public static SiloEndpoint ReadFrom(ref PayloadReader r) =>
        new(r.ReadString(), r.ReadString(), r.ReadLength(65535), r.ReadLength(65535), (int)Math.Clamp(r.ReadVarInt(), -1, 65535), r.ReadString());
}

/// <summary>The membership view a client needs to compute the ring and reach coordinators.</summary>
public sealed record ClusterViewResponse(long MembershipVersion, int Partitions, IReadOnlyList<SiloEndpoint> Silos)
{
    public void WriteTo(ref PayloadWriter w)
    {
        w.WriteVarInt(MembershipVersion);
        w.WriteVarUInt((ulong)Partitions);
        w.WriteVarUInt((ulong)Silos.Count);
        foreach (var silo in Silos) silo.WriteTo(ref w);
    }

    public static ClusterViewResponse ReadFrom(ref PayloadReader r)
    {
        var version = r.ReadVarInt();
        var partitions = r.ReadLength(1 << 20);
        var count = r.ReadLength(4096);
        var silos = new SiloEndpoint[count];
        for (var i = 0; i < count; i++) silos[i] = SiloEndpoint.ReadFrom(ref r);
        return new ClusterViewResponse(version, partitions, silos);
    }
}
