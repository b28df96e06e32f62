using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Comet.Abstractions.Wire;

/// <summary>Who is on the other end of a connection.</summary>
public enum NodeRole : byte
{
    /// <summary>An application using the client SDK (or the CLI) through a silo's gateway port.</summary>
    Client = 1,
    /// <summary>A silo of the grid.</summary>
    Silo = 2,
}

/// <summary>
/// The handshake: the first frame each way on every connection (kind <see cref="FrameKind.Hello"/>, opcode 0,
/// request id 0). The dialling side sends its Hello first; the accepting side checks the protocol version and
/// runs its validator, then answers with its own Hello, or with a connection-level
/// <see cref="FrameKind.ErrorResponse"/> (Unauthorized, or BadRequest for a version it does not speak) and closes.
/// Payload, little-endian:
/// <code>
/// u16 protocol version (first in every version, so any peer can read it)
/// u8  role            1 Client, 2 Silo
/// u8  reserved        0
/// u16 node id length, then the node id in UTF-8 (1..MaxNodeIdBytes bytes)
/// u16 auth length, then the auth blob (opaque: cluster secret proof, API key; 0..MaxAuthBytes bytes)
/// </code>
/// </summary>
public sealed class Hello
{
    /// <summary>The protocol version this build speaks.</summary>
    public const ushort CurrentProtocolVersion = 1;

    /// <summary>Largest node id, in UTF-8 bytes.</summary>
    public const int MaxNodeIdBytes = 256;

    /// <summary>Largest auth blob.</summary>
    public const int MaxAuthBytes = 8 * 1024;

    /// <summary>The largest frame accepted before the handshake completes (bounds what an unauthenticated peer can make us buffer).</summary>
    internal const int MaxFrameSize = FrameCodec.HeaderSize + 8 + MaxNodeIdBytes + MaxAuthBytes;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public Hello(NodeRole role, string nodeId, ReadOnlyMemory<byte> auth = default, ushort protocolVersion = CurrentProtocolVersion)
    {
        ArgumentException.ThrowIfNullOrEmpty(nodeId);
        if (!Enum.IsDefined(role))
        {
            throw new ArgumentOutOfRangeException(nameof(role), role, "Role must be Client or Silo.");
        }

        if (Encoding.UTF8.GetByteCount(nodeId) > MaxNodeIdBytes)
        {
            throw new ArgumentException($"A node id is at most {MaxNodeIdBytes} UTF-8 bytes.", nameof(nodeId));
        }

        if (auth.Length > MaxAuthBytes)
        {
            throw new ArgumentException($"An auth blob is at most {MaxAuthBytes} bytes.", nameof(auth));
        }

        Role = role;
        NodeId = nodeId;
        Auth = auth;
        ProtocolVersion = protocolVersion;
    }

    /// <summary>The protocol version the sender speaks.</summary>
    public ushort ProtocolVersion { get; }

    /// <summary>Client or silo.</summary>
    public NodeRole Role { get; }

    /// <summary>The sender's id: a silo id, or a client / application id.</summary>
    public string NodeId { get; }

    /// <summary>Opaque credentials for the accepting side's validator (cluster secret proof, API key).</summary>
    public ReadOnlyMemory<byte> Auth { get; }

    public override string ToString() => $"{Role} {NodeId} (protocol {ProtocolVersion})";

    /// <summary>Writes the Hello payload (not the frame header).</summary>
    public void WritePayload(IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        int idBytes = Encoding.UTF8.GetByteCount(NodeId);
        int size = 8 + idBytes + Auth.Length;
        Span<byte> span = writer.GetSpan(size);
        BinaryPrimitives.WriteUInt16LittleEndian(span, ProtocolVersion);
        span[2] = (byte)Role;
        span[3] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], (ushort)idBytes);
        Encoding.UTF8.GetBytes(NodeId, span.Slice(6, idBytes));
        BinaryPrimitives.WriteUInt16LittleEndian(span[(6 + idBytes)..], (ushort)Auth.Length);
        Auth.Span.CopyTo(span[(8 + idBytes)..]);
        writer.Advance(size);
    }

    /// <summary>Reads only the protocol version of a Hello payload (its first two bytes in every version).</summary>
    public static bool TryReadProtocolVersion(ReadOnlySpan<byte> payload, out ushort version)
    {
        version = 0;
        if (payload.Length < 2)
        {
            return false;
        }

        version = BinaryPrimitives.ReadUInt16LittleEndian(payload);
        return true;
    }

    /// <summary>Decodes a version-1 Hello payload; <paramref name="error"/> says what is wrong when it returns false.</summary>
    public static bool TryParse(ReadOnlySpan<byte> payload, out Hello? hello, out string? error)
    {
        hello = null;
        if (payload.Length < 8)
        {
            error = $"the Hello payload has {payload.Length} bytes, fewer than the 8 it needs";
            return false;
        }

        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(payload);
        byte role = payload[2];
        if (role is not ((byte)NodeRole.Client or (byte)NodeRole.Silo))
        {
            error = $"the Hello names role {role}; roles are 1 (Client) and 2 (Silo)";
            return false;
        }

        int idBytes = BinaryPrimitives.ReadUInt16LittleEndian(payload[4..]);
        if (idBytes is 0 or > MaxNodeIdBytes || payload.Length < 8 + idBytes)
        {
            error = $"the Hello's node id length {idBytes} is out of range or past the payload";
            return false;
        }

        string nodeId;
        try
        {
            nodeId = StrictUtf8.GetString(payload.Slice(6, idBytes));
        }
        catch (DecoderFallbackException)
        {
            error = "the Hello's node id is not valid UTF-8";
            return false;
        }

        int authBytes = BinaryPrimitives.ReadUInt16LittleEndian(payload[(6 + idBytes)..]);
        if (authBytes > MaxAuthBytes || payload.Length != 8 + idBytes + authBytes)
        {
            error = $"the Hello's auth length {authBytes} does not match its payload of {payload.Length} bytes";
            return false;
        }

        hello = new Hello((NodeRole)role, nodeId, payload.Slice(8 + idBytes, authBytes).ToArray(), version);
        error = null;
        return true;
    }
}
