using System.Buffers.Binary;
using Comet.Abstractions.Errors;
using Comet.Sandbox.State;

namespace Comet.Sandbox;

/// <summary>
/// The canonical binary encoding of Lua data: an object's persisted state, and any
/// <see cref="AsoValue"/>. The same data always gives the same bytes, whatever order its tables
/// were filled in, so replicas can compare states by their bytes (and Merkle trees can hash them).
/// </summary>
/// <remarks>
/// <code>
/// encoding := 0xA5 0x01 value                      (magic, format version 1)
/// value    := 0x00                                 nil
///           | 0x01 | 0x02                          false | true
///           | 0x03 varint(zigzag(i))               integer
///           | 0x04 f64                             float: IEEE 754 bits, little-endian
///           | 0x05 varint(len) byte*len            string (raw Lua bytes)
///           | 0x06 varint(n) value*n               table: the array part (keys 1..n),
///                  varint(m) (key value)*m                then the other m entries
/// </code>
/// <para>Varints are unsigned LEB128 in their shortest form. The array part is the longest run of
/// keys 1..n; map entries are sorted by the bytes of their encoded keys, strictly ascending
/// (so no duplicates). Keys are booleans, integers, floats that are neither NaN nor integral
/// (Lua stores 2.0 as 2), or strings; values are never nil inside a table. Tables nest at most
/// <see cref="MaxDepth"/> deep.</para>
/// <para><see cref="Decode"/> checks every one of these rules, so it accepts exactly the output
/// of <see cref="Encode(AsoValue)"/> and rejects anything else with
/// <see cref="CometErrorCode.BadRequest"/>; it never reads past the input nor allocates more
/// than the input could describe.</para>
/// </remarks>
public static class AsoStateCodec
{
    /// <summary>The deepest table nesting encoded or decoded.</summary>
    public const int MaxDepth = 64;

    internal const byte Magic = 0xA5;
    internal const byte Version = 0x01;
    internal const byte TagNil = 0x00;
    internal const byte TagFalse = 0x01;
    internal const byte TagTrue = 0x02;
    internal const byte TagInteger = 0x03;
    internal const byte TagFloat = 0x04;
    internal const byte TagString = 0x05;
    internal const byte TagTable = 0x06;

    /// <summary>Encodes <paramref name="value"/> canonically.</summary>
    public static byte[] Encode(AsoValue value) => Encode(value, int.MaxValue);

    /// <summary>Encodes <paramref name="value"/>; throws <see cref="CometErrorCode.TooLarge"/> past <paramref name="maxBytes"/>.</summary>
    public static byte[] Encode(AsoValue value, int maxBytes)
    {
        ArgumentNullException.ThrowIfNull(value);
        var buffer = EncodeBuffer.Rent();
        try
        {
            buffer.WriteByte(Magic);
            buffer.WriteByte(Version);
            WriteValue(buffer, value, 0);
            if (buffer.Length > maxBytes)
            {
                throw new AsoException(CometErrorCode.TooLarge,
                    $"The encoded value is {buffer.Length} bytes; the limit is {maxBytes}.");
            }
            return buffer.ToArray();
        }
        finally
        {
            buffer.Release();
        }
    }

    /// <summary>Decodes and validates canonical bytes.</summary>
    public static AsoValue Decode(ReadOnlySpan<byte> encoded)
    {
        var reader = new Reader(encoded);
        if (encoded.Length < 2 || encoded[0] != Magic)
        {
            throw reader.Malformed("it does not start with the state magic byte 0xA5");
        }
        if (encoded[1] != Version)
        {
            throw reader.Malformed($"format version {encoded[1]} is not supported");
        }
        reader.Position = 2;
        var value = reader.ReadValue(0);
        if (reader.Position != encoded.Length)
        {
            throw reader.Malformed($"{encoded.Length - reader.Position} bytes follow the value");
        }
        return value;
    }

    /// <summary>
    /// Orders table keys as their encodings sort (the canonical map order). Both must be valid
    /// keys: booleans, integers, floats or strings.
    /// </summary>
    public static int CompareKeys(AsoValue a, AsoValue b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        byte ta = KeyTag(a);
        byte tb = KeyTag(b);
        if (ta != tb)
        {
            return ta.CompareTo(tb);
        }
        Span<byte> x = stackalloc byte[10];
        Span<byte> y = stackalloc byte[10];
        switch (ta)
        {
            case TagInteger:
                return x[..WriteVarint(x, ZigZag(a.RawBits))].SequenceCompareTo(y[..WriteVarint(y, ZigZag(b.RawBits))]);
            case TagFloat:
                BinaryPrimitives.WriteInt64LittleEndian(x, a.RawBits);
                BinaryPrimitives.WriteInt64LittleEndian(y, b.RawBits);
                return x[..8].SequenceCompareTo(y[..8]);
            case TagString:
                var sa = a.StringSpan;
                var sb = b.StringSpan;
                int c = x[..WriteVarint(x, (ulong)sa.Length)].SequenceCompareTo(y[..WriteVarint(y, (ulong)sb.Length)]);
                return c != 0 ? c : sa.SequenceCompareTo(sb);
            default:
                return 0;
        }
    }

    private static byte KeyTag(AsoValue key) => key.Kind switch
    {
        AsoValueKind.Boolean => key.AsBoolean() ? TagTrue : TagFalse,
        AsoValueKind.Integer => TagInteger,
        AsoValueKind.Float => TagFloat,
        AsoValueKind.String => TagString,
        _ => throw new ArgumentException($"A {key.Kind} cannot be a table key.", nameof(key)),
    };

    internal static ulong ZigZag(long v) => (ulong)((v << 1) ^ (v >> 63));

    internal static long UnZigZag(ulong v) => (long)(v >> 1) ^ -(long)(v & 1);

    private static int WriteVarint(Span<byte> into, ulong v)
    {
        int n = 0;
        while (v >= 0x80)
        {
            into[n++] = (byte)(v | 0x80);
            v >>= 7;
        }
        into[n++] = (byte)v;
        return n;
    }

    private static void WriteValue(EncodeBuffer buffer, AsoValue value, int depth)
    {
        switch (value.Kind)
        {
            case AsoValueKind.Nil:
                buffer.WriteByte(TagNil);
                break;
            case AsoValueKind.Boolean:
                buffer.WriteByte(value.AsBoolean() ? TagTrue : TagFalse);
                break;
            case AsoValueKind.Integer:
                buffer.WriteByte(TagInteger);
                buffer.WriteVarint(ZigZag(value.RawBits));
                break;
            case AsoValueKind.Float:
                buffer.WriteByte(TagFloat);
                buffer.WriteInt64LittleEndian(value.RawBits);
                break;
            case AsoValueKind.String:
                var bytes = value.StringSpan;
                buffer.WriteByte(TagString);
                buffer.WriteVarint((ulong)bytes.Length);
                buffer.WriteBytes(bytes);
                break;
            case AsoValueKind.Table:
                if (depth >= MaxDepth)
                {
                    throw new AsoException(CometErrorCode.BadRequest, $"Tables nest deeper than {MaxDepth} levels.");
                }
                buffer.WriteByte(TagTable);
                var array = value.ArrayItems;
                buffer.WriteVarint((ulong)array.Length);
                foreach (var item in array)
                {
                    WriteValue(buffer, item, depth + 1);
                }
                // AsoValue keeps its map in canonical order already.
                var map = value.MapItems;
                buffer.WriteVarint((ulong)map.Length);
                foreach (var (k, v) in map)
                {
                    WriteValue(buffer, k, depth + 1);
                    WriteValue(buffer, v, depth + 1);
                }
                break;
        }
    }

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;

        public int Position;

        public readonly AsoException Malformed(string why) =>
            new(CometErrorCode.BadRequest, $"The encoded state is malformed at byte {Position}: {why}.");

        private byte ReadByte() =>
            Position < _data.Length ? _data[Position++] : throw Malformed("it ends in the middle of a value");

        private ulong ReadVarint()
        {
            ulong result = 0;
            int start = Position;
            for (int shift = 0; shift < 64; shift += 7)
            {
                byte b = ReadByte();
                if (shift == 63 && b > 1)
                {
                    throw Malformed("a varint overflows 64 bits");
                }
                result |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    if (b == 0 && Position - start > 1)
                    {
                        throw Malformed("a varint is not in its shortest form");
                    }
                    return result;
                }
            }
            throw Malformed("a varint is longer than 10 bytes");
        }

        private int ReadCount(int minBytesEach)
        {
            ulong n = ReadVarint();
            if (n > (ulong)((_data.Length - Position) / minBytesEach))
            {
                throw Malformed($"a count of {n} is more than the remaining bytes can hold");
            }
            return (int)n;
        }

        public AsoValue ReadValue(int depth)
        {
            byte tag = ReadByte();
            switch (tag)
            {
                case TagNil:
                    return AsoValue.Nil;
                case TagFalse:
                    return AsoValue.False;
                case TagTrue:
                    return AsoValue.True;
                case TagInteger:
                    return AsoValue.FromInt64(UnZigZag(ReadVarint()));
                case TagFloat:
                    if (_data.Length - Position < 8)
                    {
                        throw Malformed("a float is cut short");
                    }
                    long bits = BinaryPrimitives.ReadInt64LittleEndian(_data[Position..]);
                    Position += 8;
                    return AsoValue.FromDouble(BitConverter.Int64BitsToDouble(bits));
                case TagString:
                    int len = ReadCount(1);
                    var text = _data.Slice(Position, len).ToArray();
                    Position += len;
                    return AsoValue.FromOwnedBytes(text);
                case TagTable:
                    return ReadTable(depth);
                default:
                    Position--;
                    throw Malformed($"0x{tag:X2} is not a value tag");
            }
        }

        private AsoValue ReadTable(int depth)
        {
            if (depth >= MaxDepth)
            {
                throw Malformed($"tables nest deeper than {MaxDepth} levels");
            }
            int n = ReadCount(1);
            var array = n == 0 ? [] : new AsoValue[n];
            for (int i = 0; i < n; i++)
            {
                int at = Position;
                array[i] = ReadValue(depth + 1);
                if (array[i].IsNil)
                {
                    Position = at;
                    throw Malformed("an array item is nil");
                }
            }
            int m = ReadCount(2);
            var map = m == 0 ? [] : new KeyValuePair<AsoValue, AsoValue>[m];
            int previousKeyStart = -1;
            int previousKeyEnd = -1;
            for (int i = 0; i < m; i++)
            {
                int keyStart = Position;
                var key = ReadValue(depth + 1);
                int keyEnd = Position;
                Position = keyStart;
                switch (key.Kind)
                {
                    case AsoValueKind.Nil:
                    case AsoValueKind.Table:
                        throw Malformed($"a {key.Kind} cannot be a table key");
                    case AsoValueKind.Float:
                        double d = key.AsDouble();
                        if (double.IsNaN(d) || AsoValue.IsIntegral(d, out _))
                        {
                            throw Malformed("a float key is NaN or has an integer value");
                        }
                        break;
                    case AsoValueKind.Integer:
                        long k = key.AsInt64();
                        if (k >= 1 && k <= (long)n + 1)
                        {
                            throw Malformed($"integer key {k} belongs in the array part");
                        }
                        break;
                }
                if (previousKeyStart >= 0 &&
                    _data[previousKeyStart..previousKeyEnd].SequenceCompareTo(_data[keyStart..keyEnd]) >= 0)
                {
                    throw Malformed("map keys are not in strictly ascending canonical order");
                }
                Position = keyEnd;
                previousKeyStart = keyStart;
                previousKeyEnd = keyEnd;
                var value = ReadValue(depth + 1);
                if (value.IsNil)
                {
                    throw Malformed("a map value is nil");
                }
                map[i] = new(key, value);
            }
            return AsoValue.TableUnchecked(array, map);
        }
    }
}
