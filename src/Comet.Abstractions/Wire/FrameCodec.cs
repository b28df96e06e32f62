using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Comet.Abstractions.Errors;

namespace Comet.Abstractions.Wire;

/// <summary>
/// Encodes and decodes CometGrains binary frames. All integers are little-endian.
/// <code>
/// offset size field
///      0    4 length      u32: bytes after this field = 12 (header) + payload length;
///                         12 ≤ length ≤ MaxFrameSize (default 4 MiB), else the frame is malformed
///      4    1 kind        FrameKind: 1 Hello, 2 Request, 3 Response, 4 ErrorResponse, 5 OneWay, 6 Ping, 7 Pong;
///                         any other value is malformed
///      5    1 flags       reserved, must be 0 in protocol version 1 (non-zero is malformed)
///      6    2 opcode      u16, opaque to the transport (defined by the grid and the client)
///      8    8 request id  u64, chosen by the requester, echoed by Response / ErrorResponse / Pong;
///                         0 on OneWay and Hello; 0 on an ErrorResponse = connection-level error
///     16    n payload     length - 12 bytes
/// </code>
/// An <see cref="FrameKind.ErrorResponse"/> payload is a u32 <see cref="CometErrorCode"/> followed by the
/// UTF-8 message (the rest of the payload). A <see cref="FrameKind.Hello"/> payload is described on <see cref="Hello"/>.
/// Both peers check sizes: a sender refuses to write a frame over its limit (<see cref="CometErrorCode.TooLarge"/>,
/// nothing is sent) and a receiver treats a declared length over its limit as malformed and closes the connection.
/// </summary>
public static class FrameCodec
{
    /// <summary>Size of the length prefix.</summary>
    public const int LengthPrefixSize = 4;

    /// <summary>Size of the header counted by the length prefix: kind, flags, opcode, request id.</summary>
    public const int HeaderSize = 12;

    /// <summary>Bytes on the wire before the payload.</summary>
    public const int PrefixedHeaderSize = LengthPrefixSize + HeaderSize;

    /// <summary>The default largest frame (length prefix value) a connection accepts or sends: 4 MiB.</summary>
    public const int DefaultMaxFrameSize = 4 * 1024 * 1024;

    private const byte MaxKnownKind = (byte)FrameKind.Pong;

    /// <summary>Writes one whole frame.</summary>
    public static void WriteFrame(IBufferWriter<byte> writer, in FrameHeader header, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Span<byte> head = writer.GetSpan(PrefixedHeaderSize);
        WriteHeader(head, header.Kind, header.Opcode, header.RequestId, payload.Length);
        writer.Advance(PrefixedHeaderSize);
        writer.Write(payload);
    }

    /// <summary>Writes the 16 bytes before a payload of <paramref name="payloadLength"/> bytes.</summary>
    public static void WriteHeader(Span<byte> destination, FrameKind kind, ushort opcode, ulong requestId, int payloadLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        if (destination.Length < PrefixedHeaderSize)
        {
            throw new ArgumentException($"A frame header needs {PrefixedHeaderSize} bytes.", nameof(destination));
        }

        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)(HeaderSize + payloadLength));
        destination[4] = (byte)kind;
        destination[5] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], opcode);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], requestId);
    }

    /// <summary>
    /// Decodes the frame at the front of <paramref name="buffer"/>. On <see cref="FrameReadStatus.Complete"/> the
    /// frame is sliced off <paramref name="buffer"/> and <paramref name="payload"/> refers into the original buffer;
    /// on <see cref="FrameReadStatus.Malformed"/>, <paramref name="error"/> says why. The header is validated as soon
    /// as its 16 bytes have arrived, so a bad kind or length is caught before the rest of the frame.
    /// </summary>
    public static FrameReadStatus TryReadFrame(
        ref ReadOnlySequence<byte> buffer,
        int maxFrameSize,
        out FrameHeader header,
        out ReadOnlySequence<byte> payload,
        out string? error)
    {
        header = default;
        payload = default;
        error = null;
        if (buffer.Length < LengthPrefixSize)
        {
            return FrameReadStatus.Incomplete;
        }

        Span<byte> copy = stackalloc byte[PrefixedHeaderSize];
        scoped ReadOnlySpan<byte> head;
        if (buffer.FirstSpan.Length >= PrefixedHeaderSize)
        {
            head = buffer.FirstSpan[..PrefixedHeaderSize];
        }
        else
        {
            int available = (int)Math.Min(buffer.Length, PrefixedHeaderSize);
            buffer.Slice(0, available).CopyTo(copy);
            head = copy[..available];
        }

        uint length = BinaryPrimitives.ReadUInt32LittleEndian(head);
        if (length > (uint)maxFrameSize)
        {
            error = $"the frame declares {length} bytes, more than the maximum of {maxFrameSize} bytes";
            return FrameReadStatus.Malformed;
        }

        if (length < HeaderSize)
        {
            error = $"the frame declares {length} bytes, less than the {HeaderSize}-byte header";
            return FrameReadStatus.Malformed;
        }

        if (head.Length < PrefixedHeaderSize)
        {
            // Validate what has arrived of the header so garbage is rejected without waiting for more.
            if (head.Length > 4 && !IsKnownKind(head[4]))
            {
                error = $"unknown frame kind {head[4]}";
                return FrameReadStatus.Malformed;
            }

            if (head.Length > 5 && head[5] != 0)
            {
                error = $"reserved frame flags are {head[5]}, must be 0";
                return FrameReadStatus.Malformed;
            }

            return FrameReadStatus.Incomplete;
        }

        byte kind = head[4];
        if (!IsKnownKind(kind))
        {
            error = $"unknown frame kind {kind}";
            return FrameReadStatus.Malformed;
        }

        if (head[5] != 0)
        {
            error = $"reserved frame flags are {head[5]}, must be 0";
            return FrameReadStatus.Malformed;
        }

        if (buffer.Length < LengthPrefixSize + length)
        {
            return FrameReadStatus.Incomplete;
        }

        int payloadLength = (int)length - HeaderSize;
        header = new FrameHeader(
            (FrameKind)kind,
            BinaryPrimitives.ReadUInt16LittleEndian(head[6..]),
            BinaryPrimitives.ReadUInt64LittleEndian(head[8..]),
            payloadLength);
        payload = buffer.Slice(PrefixedHeaderSize, payloadLength);
        buffer = buffer.Slice(payload.End);
        return FrameReadStatus.Complete;
    }

    /// <summary>Writes an <see cref="FrameKind.ErrorResponse"/> payload: u32 code, then the UTF-8 message.</summary>
    public static void WriteErrorPayload(IBufferWriter<byte> writer, CometErrorCode code, string message)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(message);
        int max = 4 + Encoding.UTF8.GetMaxByteCount(message.Length);
        Span<byte> span = writer.GetSpan(max);
        BinaryPrimitives.WriteInt32LittleEndian(span, (int)code);
        int written = Encoding.UTF8.GetBytes(message, span[4..]);
        writer.Advance(4 + written);
    }

    /// <summary>Decodes an <see cref="FrameKind.ErrorResponse"/> payload into the exception the requester sees.</summary>
    public static CometException ReadErrorPayload(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 4)
        {
            return new MalformedFrameException($"an error response carries {payload.Length} bytes, fewer than its 4-byte code");
        }

        var code = (CometErrorCode)BinaryPrimitives.ReadInt32LittleEndian(payload);
        string message = Encoding.UTF8.GetString(payload[4..]);
        return code == CometErrorCode.MalformedFrame ? new MalformedFrameException(message) : new CometException(code, message);
    }

    private static bool IsKnownKind(byte kind) => kind is >= 1 and <= MaxKnownKind;
}
