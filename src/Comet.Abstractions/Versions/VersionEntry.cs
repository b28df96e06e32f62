using Comet.Abstractions.Protocol;

namespace Comet.Abstractions.Versions;

/// <summary>
/// One version of an object as a replica holds it. For a passive value <see cref="Payload"/> is
/// the value; for an ASO it is the encoded data fields (empty when a put ships fresh code, so
/// that each replica builds its state by running the chunk); for a tombstone it is empty.
/// <see cref="PayloadDropped"/> marks an old version kept for history without its data.
/// </summary>
public sealed record VersionEntry(
    ObjectVersion Version,
    ObjectKind Kind,
    string? Code,
    ReadOnlyMemory<byte> Payload,
    long WrittenAtMs,
    long ExpiresAtMs,
    string? Owner,
    bool PayloadDropped = false)
{
    /// <summary>Never expires.</summary>
    public const long NoExpiry = 0;

    public bool IsExpired(long nowMs) => ExpiresAtMs != NoExpiry && nowMs >= ExpiresAtMs;

    /// <summary>True for a version that hides the key: a tombstone, or an expired version.</summary>
    public bool HidesKey(long nowMs) => Kind == ObjectKind.Tombstone || IsExpired(nowMs);

    public void WriteTo(ref PayloadWriter w)
    {
        Version.WriteTo(ref w);
        w.WriteByte((byte)Kind);
        w.WriteNullableString(Code);
        w.WriteBytes(Payload.Span);
        w.WriteVarInt(WrittenAtMs);
        w.WriteVarInt(ExpiresAtMs);
        w.WriteNullableString(Owner);
        w.WriteBool(PayloadDropped);
    }

    public static VersionEntry ReadFrom(ref PayloadReader r)
    {
        var version = ObjectVersion.ReadFrom(ref r);
        var kind = r.ReadByte();
        if (kind > (byte)ObjectKind.Tombstone) throw PayloadReader.Malformed("unknown object kind");
        return new VersionEntry(version, (ObjectKind)kind, r.ReadNullableString(), r.ReadBytes(), r.ReadVarInt(), r.ReadVarInt(), r.ReadNullableString(), r.ReadBool());
    }
}
