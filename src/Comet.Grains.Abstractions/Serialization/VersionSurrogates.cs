using System.Buffers;
using Comet.Abstractions.Protocol;
using Comet.Abstractions.Versions;

namespace Comet.Grains.Serialization;

// Comet.Abstractions stays free of Orleans; its version types cross grain calls through these
// surrogates. Messages that carry them are [Immutable], so in-silo calls do not copy them.

[GenerateSerializer, Immutable]
public struct ObjectVersionSurrogate
{
    /// <summary>The version in the store's own binary form (context entries, then the dot).</summary>
    [Id(0)] public byte[] Encoded;
}

[RegisterConverter]
public sealed class ObjectVersionConverter : IConverter<ObjectVersion, ObjectVersionSurrogate>
{
    public ObjectVersion ConvertFromSurrogate(in ObjectVersionSurrogate surrogate)
    {
        var reader = new PayloadReader(surrogate.Encoded);
        return ObjectVersion.ReadFrom(ref reader);
    }

    public ObjectVersionSurrogate ConvertToSurrogate(in ObjectVersion value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var buffer = new ArrayBufferWriter<byte>(32);
        var writer = new PayloadWriter(buffer);
        value.WriteTo(ref writer);
        return new ObjectVersionSurrogate { Encoded = buffer.WrittenSpan.ToArray() };
    }
}

[GenerateSerializer, Immutable]
public struct VectorClockSurrogate
{
    [Id(0)] public byte[] Encoded;
}

[RegisterConverter]
public sealed class VectorClockConverter : IConverter<VectorClock, VectorClockSurrogate>
{
    public VectorClock ConvertFromSurrogate(in VectorClockSurrogate surrogate)
    {
        var reader = new PayloadReader(surrogate.Encoded);
        return VectorClock.ReadFrom(ref reader);
    }

    public VectorClockSurrogate ConvertToSurrogate(in VectorClock value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var buffer = new ArrayBufferWriter<byte>(32);
        var writer = new PayloadWriter(buffer);
        value.WriteTo(ref writer);
        return new VectorClockSurrogate { Encoded = buffer.WrittenSpan.ToArray() };
    }
}

[GenerateSerializer, Immutable]
public struct VersionEntrySurrogate
{
    [Id(0)] public ObjectVersion Version;
    [Id(1)] public ObjectKind Kind;
    [Id(2)] public string? Code;
    [Id(3)] public ReadOnlyMemory<byte> Payload;
    [Id(4)] public long WrittenAtMs;
    [Id(5)] public long ExpiresAtMs;
    [Id(6)] public string? Owner;
    [Id(7)] public bool PayloadDropped;
}

[RegisterConverter]
public sealed class VersionEntryConverter : IConverter<VersionEntry, VersionEntrySurrogate>
{
    public VersionEntry ConvertFromSurrogate(in VersionEntrySurrogate s) =>
        new(s.Version, s.Kind, s.Code, s.Payload, s.WrittenAtMs, s.ExpiresAtMs, s.Owner, s.PayloadDropped);

    public VersionEntrySurrogate ConvertToSurrogate(in VersionEntry value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new VersionEntrySurrogate
        {
            Version = value.Version,
            Kind = value.Kind,
            Code = value.Code,
            Payload = value.Payload,
            WrittenAtMs = value.WrittenAtMs,
            ExpiresAtMs = value.ExpiresAtMs,
            Owner = value.Owner,
            PayloadDropped = value.PayloadDropped,
        };
    }
}

[GenerateSerializer, Immutable]
public struct QuorumOptionsSurrogate
{
    [Id(0)] public int? N;
    [Id(1)] public int? R;
    [Id(2)] public int? W;
}

[RegisterConverter]
public sealed class QuorumOptionsConverter : IConverter<QuorumOptions, QuorumOptionsSurrogate>
{
    public QuorumOptions ConvertFromSurrogate(in QuorumOptionsSurrogate s) => new(s.N, s.R, s.W);

    public QuorumOptionsSurrogate ConvertToSurrogate(in QuorumOptions value) => new() { N = value.N, R = value.R, W = value.W };
}
