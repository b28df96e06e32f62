using System.Buffers;
using Comet.Abstractions.Protocol;

namespace Comet.Grid.Membership;

/// <summary>One silo's row in the membership table.</summary>
public sealed record MembershipEntry(
    string SiloId,
    string Host,
    int SiloPort,
    int GatewayPort,
    int HttpPort,
    SiloStatus Status,
    long StartedAtMs,
    long IAmAliveMs,
    IReadOnlyList<Suspicion> Suspicions)
{
    private const byte FormatVersion = 1;

    public SiloEndpoint ToEndpoint() => new(SiloId, Host, SiloPort, GatewayPort, HttpPort, Status.ToString());

    public byte[] Encode()
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        var w = new PayloadWriter(buffer);
        w.WriteByte(FormatVersion);
        w.WriteString(SiloId);
        w.WriteString(Host);
        w.WriteVarUInt((ulong)SiloPort);
        w.WriteVarUInt((ulong)GatewayPort);
        w.WriteVarInt(HttpPort);
        w.WriteByte((byte)Status);
        w.WriteVarInt(StartedAtMs);
        w.WriteVarInt(IAmAliveMs);
        w.WriteVarUInt((ulong)Suspicions.Count);
        foreach (var s in Suspicions)
        {
            w.WriteString(s.By);
            w.WriteVarInt(s.AtMs);
        }
        return buffer.WrittenSpan.ToArray();
    }

    public static MembershipEntry Decode(ReadOnlySpan<byte> data)
    {
        var r = new PayloadReader(data);
        if (r.ReadByte() != FormatVersion) throw PayloadReader.Malformed("unknown membership row format");
        var id = r.ReadString();
        var host = r.ReadString();
        var siloPort = r.ReadLength(65535);
        var gatewayPort = r.ReadLength(65535);
        var httpPort = (int)r.ReadVarInt();
        var status = r.ReadByte();
        if (status is < 1 or > 4) throw PayloadReader.Malformed("unknown silo status");
        var started = r.ReadVarInt();
        var alive = r.ReadVarInt();
        var count = r.ReadLength(1024);
        var suspicions = new Suspicion[count];
        for (var i = 0; i < count; i++) suspicions[i] = new Suspicion(r.ReadString(), r.ReadVarInt());
        r.ExpectEnd();
        return new MembershipEntry(id, host, siloPort, gatewayPort, httpPort, (SiloStatus)status, started, alive, suspicions);
    }
}

/// <summary>A vote by silo <see cref="By"/> that the row's silo is dead, cast at <see cref="AtMs"/>.</summary>
public sealed record Suspicion(string By, long AtMs);
