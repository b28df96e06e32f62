using System.Buffers.Binary;
using System.Text;
using Comet.Abstractions.Errors;

namespace Comet.Abstractions.Protocol;

/// <summary>
/// Reads what <see cref="PayloadWriter"/> wrote. Every read is bounds-checked: a truncated or
/// forged payload raises <see cref="CometErrorCode.MalformedFrame"/>, never an index exception,
/// so a bad frame from the network fails that request and nothing else.
/// </summary>
public ref struct PayloadReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public PayloadReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    public readonly int Remaining => _data.Length - _position;

    public readonly bool End => _position >= _data.Length;

    public byte ReadByte()
    {
        if (_position >= _data.Length) throw Truncated();
        return _data[_position++];
    }

    public bool ReadBool() => ReadByte() switch
    {
        0 => false,
        1 => true,
        _ => throw Malformed("a boolean is neither 0 nor 1"),
    };

    public ulong ReadVarUInt()
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = ReadByte();
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw Malformed("a varint is longer than 10 bytes");
    }

    public long ReadVarInt()
    {
        var raw = ReadVarUInt();
        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }

    /// <summary>A varint that must fit a non-negative int no larger than <paramref name="max"/>.</summary>
    public int ReadLength(int max)
    {
        var value = ReadVarUInt();
        if (value > (ulong)max) throw Malformed($"a length of {value} exceeds {max}");
        return (int)value;
    }

    public long ReadInt64()
    {
        if (Remaining < 8) throw Truncated();
        var value = BinaryPrimitives.ReadInt64LittleEndian(_data.Slice(_position, 8));
        _position += 8;
        return value;
    }

    public double ReadDouble() => BitConverter.Int64BitsToDouble(ReadInt64());

    public string ReadString()
    {
        var length = ReadLength(Remaining);
        return DecodeUtf8(TakeSpan(length));
    }

    public string? ReadNullableString()
    {
        var marker = ReadLength(Remaining + 1);
        if (marker == 0) return null;
        return DecodeUtf8(TakeSpan(marker - 1));
    }

    public ReadOnlySpan<byte> ReadBytesSpan() => TakeSpan(ReadLength(Remaining));

    public byte[] ReadBytes() => ReadBytesSpan().ToArray();

    public byte[]? ReadNullableBytes()
    {
        var marker = ReadLength(Remaining + 1);
        return marker == 0 ? null : TakeSpan(marker - 1).ToArray();
    }

    public readonly void ExpectEnd()
    {
        if (!End) throw Malformed($"{Remaining} unexpected trailing bytes");
    }

    private ReadOnlySpan<byte> TakeSpan(int length)
    {
        if (length > Remaining) throw Truncated();
        var span = _data.Slice(_position, length);
        _position += length;
        return span;
    }

    private static string DecodeUtf8(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Malformed("a string is not valid UTF-8");
        }
    }

    private static CometException Truncated() => Malformed("the payload ends early");

    public static CometException Malformed(string why) =>
        new(CometErrorCode.MalformedFrame, $"Malformed payload: {why}.");
}
