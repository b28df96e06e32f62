using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Comet.Abstractions.Protocol;

/// <summary>
/// Writes message payloads straight into a buffer writer (a pipe, a pooled buffer):
/// LEB128 varints, length-prefixed UTF-8 strings and byte strings. The hand-written codec is
/// the hot path of every request (DESIGN.md measured ~0.2 µs against ~0.55 µs for protobuf).
/// </summary>
public ref struct PayloadWriter
{
    private readonly IBufferWriter<byte> _output;

    public PayloadWriter(IBufferWriter<byte> output) => _output = output;

    public readonly void WriteByte(byte value)
    {
        var span = _output.GetSpan(1);
        span[0] = value;
        _output.Advance(1);
    }

    public readonly void WriteBool(bool value) => WriteByte(value ? (byte)1 : (byte)0);

    public readonly void WriteVarUInt(ulong value)
    {
        var span = _output.GetSpan(10);
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[i++] = (byte)value;
        _output.Advance(i);
    }

    /// <summary>Zig-zag encoded, so small negative numbers stay short.</summary>
    public readonly void WriteVarInt(long value) => WriteVarUInt((ulong)((value << 1) ^ (value >> 63)));

    public readonly void WriteInt64(long value)
    {
        var span = _output.GetSpan(8);
        BinaryPrimitives.WriteInt64LittleEndian(span, value);
        _output.Advance(8);
    }

    public readonly void WriteDouble(double value) => WriteInt64(BitConverter.DoubleToInt64Bits(value));

    public readonly void WriteString(string value)
    {
        var count = Encoding.UTF8.GetByteCount(value);
        WriteVarUInt((ulong)count);
        var span = _output.GetSpan(count);
        Encoding.UTF8.GetBytes(value, span);
        _output.Advance(count);
    }

    /// <summary>A string that may be absent: 0 = null, otherwise length + 1.</summary>
    public readonly void WriteNullableString(string? value)
    {
        if (value is null)
        {
            WriteVarUInt(0);
            return;
        }
        var count = Encoding.UTF8.GetByteCount(value);
        WriteVarUInt((ulong)count + 1);
        var span = _output.GetSpan(count);
        Encoding.UTF8.GetBytes(value, span);
        _output.Advance(count);
    }

    public readonly void WriteBytes(ReadOnlySpan<byte> value)
    {
        WriteVarUInt((ulong)value.Length);
        var span = _output.GetSpan(value.Length);
        value.CopyTo(span);
        _output.Advance(value.Length);
    }

    /// <summary>Bytes that may be absent: 0 = null, otherwise length + 1.</summary>
    public readonly void WriteNullableBytes(ReadOnlyMemory<byte>? value)
    {
        if (value is not { } v)
        {
            WriteVarUInt(0);
            return;
        }
        WriteVarUInt((ulong)v.Length + 1);
        var span = _output.GetSpan(v.Length);
        v.Span.CopyTo(span);
        _output.Advance(v.Length);
    }
}
