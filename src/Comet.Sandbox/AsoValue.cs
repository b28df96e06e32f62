using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Comet.Sandbox;

/// <summary>The kinds of Lua data that cross the sandbox boundary.</summary>
public enum AsoValueKind : byte
{
    /// <summary>Lua nil: absent.</summary>
    Nil = 0,

    /// <summary>true or false.</summary>
    Boolean = 1,

    /// <summary>A Lua integer (64-bit).</summary>
    Integer = 2,

    /// <summary>A Lua float (IEEE double).</summary>
    Float = 3,

    /// <summary>A Lua string: bytes, usually UTF-8 text.</summary>
    String = 4,

    /// <summary>A Lua table: an array part (keys 1..n) and a map part (every other key).</summary>
    Table = 5,
}

/// <summary>
/// Lua data as the rest of CometGrains sees it: handler arguments and results, incoming data,
/// neighbour replies and object state. Immutable, compared by value.
/// </summary>
/// <remarks>
/// <para>Integers and floats stay distinct (<c>1</c> is not <c>1.0</c>); floats compare by their
/// bits (so NaN equals NaN, and 0.0 differs from -0.0), like the canonical encoding.</para>
/// <para>Strings keep Lua's bytes; <see cref="AsString"/> exposes them as text when they are valid UTF-8.</para>
/// <para>A table is normalised the way Lua sees it: nil values are absent, a float key with an
/// integer value is that integer, keys 1..n with no gap form the <see cref="ArrayPart"/>, and every
/// other entry is in <see cref="MapPart"/>, sorted in the canonical order of
/// <see cref="AsoStateCodec"/>. Keys may be booleans, numbers or strings (not tables).</para>
/// </remarks>
public sealed class AsoValue : IEquatable<AsoValue>
{
    private readonly long _bits;
    private readonly object? _ref;
    private string? _text;

    private AsoValue(AsoValueKind kind, long bits, object? reference)
    {
        Kind = kind;
        _bits = bits;
        _ref = reference;
    }

    /// <summary>Lua nil.</summary>
    public static AsoValue Nil { get; } = new(AsoValueKind.Nil, 0, null);

    /// <summary>Lua true.</summary>
    public static AsoValue True { get; } = new(AsoValueKind.Boolean, 1, null);

    /// <summary>Lua false.</summary>
    public static AsoValue False { get; } = new(AsoValueKind.Boolean, 0, null);

    /// <summary>An empty table.</summary>
    public static AsoValue EmptyTable { get; } = new(AsoValueKind.Table, 0, TableData.Empty);

    /// <summary>What kind of value this is.</summary>
    public AsoValueKind Kind { get; }

    /// <summary>True for nil.</summary>
    public bool IsNil => Kind == AsoValueKind.Nil;

    /// <summary>Lua truthiness: everything but nil and false.</summary>
    public bool IsTruthy => Kind != AsoValueKind.Nil && !(Kind == AsoValueKind.Boolean && _bits == 0);

    // ---- factories -----------------------------------------------------------------------

    /// <summary>A boolean.</summary>
    public static AsoValue FromBoolean(bool value) => value ? True : False;

    /// <summary>A Lua integer.</summary>
    public static AsoValue FromInt64(long value) => new(AsoValueKind.Integer, value, null);

    /// <summary>A Lua float.</summary>
    public static AsoValue FromDouble(double value) => new(AsoValueKind.Float, BitConverter.DoubleToInt64Bits(value), null);

    /// <summary>A string from .NET text (stored as UTF-8).</summary>
    public static AsoValue FromString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new AsoValue(AsoValueKind.String, 0, Encoding.UTF8.GetBytes(value)) { _text = value };
    }

    /// <summary>A string from raw bytes (copied); need not be UTF-8.</summary>
    public static AsoValue FromUtf8(ReadOnlySpan<byte> bytes) => new(AsoValueKind.String, 0, bytes.ToArray());

    /// <summary>A string that takes ownership of <paramref name="bytes"/>.</summary>
    internal static AsoValue FromOwnedBytes(byte[] bytes) => new(AsoValueKind.String, 0, bytes);

    /// <summary>A sequence: keys 1..n. Nil items are not allowed (Lua sequences have no holes).</summary>
    public static AsoValue Array(params AsoValue[] items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var copy = new AsoValue[items.Length];
        for (int i = 0; i < items.Length; i++)
        {
            var item = items[i] ?? throw new ArgumentException("Array items may not be null.", nameof(items));
            if (item.IsNil)
            {
                throw new ArgumentException($"Array item {i + 1} is nil; a Lua sequence has no holes.", nameof(items));
            }
            copy[i] = item;
        }
        return copy.Length == 0 ? EmptyTable : new AsoValue(AsoValueKind.Table, 0, new TableData(copy, []));
    }

    /// <summary>A sequence from a collection.</summary>
    public static AsoValue Array(IEnumerable<AsoValue> items) => Array(items?.ToArray()!);

    /// <summary>A table from key/value pairs; see the type's remarks for how it is normalised.</summary>
    public static AsoValue Table(params (AsoValue Key, AsoValue Value)[] entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var pairs = new KeyValuePair<AsoValue, AsoValue>[entries.Length];
        for (int i = 0; i < entries.Length; i++)
        {
            pairs[i] = new(entries[i].Key, entries[i].Value);
        }
        return Table(pairs);
    }

    /// <summary>A table from key/value pairs; see the type's remarks for how it is normalised.</summary>
    public static AsoValue Table(IEnumerable<KeyValuePair<AsoValue, AsoValue>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var ints = new Dictionary<long, AsoValue>();
        var others = new List<KeyValuePair<AsoValue, AsoValue>>();
        foreach (var (rawKey, value) in entries)
        {
            ArgumentNullException.ThrowIfNull(rawKey, "key");
            ArgumentNullException.ThrowIfNull(value, "value");
            var key = NormaliseKey(rawKey);
            if (value.IsNil)
            {
                continue;
            }
            if (key.Kind == AsoValueKind.Integer)
            {
                if (!ints.TryAdd(key._bits, value))
                {
                    throw new ArgumentException($"Duplicate table key {key}.", nameof(entries));
                }
            }
            else
            {
                others.Add(new(key, value));
            }
        }
        int n = 0;
        while (ints.ContainsKey(n + 1L))
        {
            n++;
        }
        var array = n == 0 ? [] : new AsoValue[n];
        for (int i = 0; i < n; i++)
        {
            array[i] = ints[i + 1L];
            ints.Remove(i + 1L);
        }
        foreach (var (k, v) in ints)
        {
            others.Add(new(FromInt64(k), v));
        }
        var map = others.ToArray();
        System.Array.Sort(map, static (a, b) => AsoStateCodec.CompareKeys(a.Key, b.Key));
        for (int i = 1; i < map.Length; i++)
        {
            if (AsoStateCodec.CompareKeys(map[i - 1].Key, map[i].Key) == 0)
            {
                throw new ArgumentException($"Duplicate table key {map[i].Key}.", nameof(entries));
            }
        }
        return array.Length == 0 && map.Length == 0 ? EmptyTable : new AsoValue(AsoValueKind.Table, 0, new TableData(array, map));
    }

    /// <summary>A table from parts already normalised and sorted (the Lua reader and the decoder).</summary>
    internal static AsoValue TableUnchecked(AsoValue[] array, KeyValuePair<AsoValue, AsoValue>[] map)
        => array.Length == 0 && map.Length == 0 ? EmptyTable : new(AsoValueKind.Table, 0, new TableData(array, map));

    private static AsoValue NormaliseKey(AsoValue key)
    {
        switch (key.Kind)
        {
            case AsoValueKind.Nil:
                throw new ArgumentException("A table key may not be nil.", nameof(key));
            case AsoValueKind.Table:
                throw new ArgumentException("Table keys are not supported: keys must be booleans, numbers or strings.", nameof(key));
            case AsoValueKind.Float:
                double d = key.AsDouble();
                if (double.IsNaN(d))
                {
                    throw new ArgumentException("A table key may not be NaN.", nameof(key));
                }
                return IsIntegral(d, out long i) ? FromInt64(i) : key;
            default:
                return key;
        }
    }

    /// <summary>Lua's float-to-integer key normalisation: exact integers in range become integers.</summary>
    internal static bool IsIntegral(double d, out long value)
    {
        // [-2^63, 2^63) — the doubles with an exact long value.
        if (d >= -9.2233720368547758E18 && d < 9.2233720368547758E18 && Math.Floor(d) == d)
        {
            value = (long)d;
            return true;
        }
        value = 0;
        return false;
    }

    // ---- accessors -----------------------------------------------------------------------

    /// <summary>The boolean; throws unless <see cref="Kind"/> is Boolean.</summary>
    public bool AsBoolean() => Kind == AsoValueKind.Boolean ? _bits != 0 : throw WrongKind(AsoValueKind.Boolean);

    /// <summary>The integer; throws unless <see cref="Kind"/> is Integer.</summary>
    public long AsInt64() => Kind == AsoValueKind.Integer ? _bits : throw WrongKind(AsoValueKind.Integer);

    /// <summary>The number as a double (an Integer converts); throws for other kinds.</summary>
    public double AsDouble() => Kind switch
    {
        AsoValueKind.Float => BitConverter.Int64BitsToDouble(_bits),
        AsoValueKind.Integer => _bits,
        _ => throw WrongKind(AsoValueKind.Float),
    };

    /// <summary>The string's bytes; throws unless <see cref="Kind"/> is String.</summary>
    public ReadOnlyMemory<byte> AsBytes() => Kind == AsoValueKind.String ? (byte[])_ref! : throw WrongKind(AsoValueKind.String);

    internal ReadOnlySpan<byte> StringSpan => (byte[])_ref!;

    internal long RawBits => _bits;

    /// <summary>True for a string whose bytes are valid UTF-8.</summary>
    public bool IsUtf8 => Kind == AsoValueKind.String && (_text != null || System.Text.Unicode.Utf8.IsValid((byte[])_ref!));

    /// <summary>The string as text; throws unless it is a string of valid UTF-8 (use <see cref="AsBytes"/> for other bytes).</summary>
    public string AsString()
    {
        if (Kind != AsoValueKind.String)
        {
            throw WrongKind(AsoValueKind.String);
        }
        return _text ??= System.Text.Unicode.Utf8.IsValid((byte[])_ref!)
            ? Encoding.UTF8.GetString((byte[])_ref!)
            : throw new InvalidOperationException("The Lua string is not valid UTF-8; read it with AsBytes().");
    }

    /// <summary>The string as text when it is a string of valid UTF-8.</summary>
    public bool TryGetString(out string text)
    {
        if (Kind == AsoValueKind.String && IsUtf8)
        {
            text = AsString();
            return true;
        }
        text = "";
        return false;
    }

    private TableData Data => Kind == AsoValueKind.Table ? (TableData)_ref! : throw WrongKind(AsoValueKind.Table);

    /// <summary>Values of keys 1..n (the longest run with no gap); throws unless a table.</summary>
    public IReadOnlyList<AsoValue> ArrayPart => Data.ArrayView;

    /// <summary>Every other entry, in canonical key order; throws unless a table.</summary>
    public IReadOnlyList<KeyValuePair<AsoValue, AsoValue>> MapPart => Data.MapView;

    internal AsoValue[] ArrayItems => Data.Array;

    internal KeyValuePair<AsoValue, AsoValue>[] MapItems => Data.Map;

    /// <summary>Number of entries of a table (array and map parts).</summary>
    public int Count => Data.Array.Length + Data.Map.Length;

    /// <summary>The value at a string key, or <see cref="Nil"/>.</summary>
    public AsoValue this[string key] => TryGetValue(FromString(key), out var v) ? v : Nil;

    /// <summary>The value at an integer key, or <see cref="Nil"/>.</summary>
    public AsoValue this[long index] => TryGetValue(FromInt64(index), out var v) ? v : Nil;

    /// <summary>Looks a key up in a table (a float key with an integer value finds the integer key).</summary>
    public bool TryGetValue(AsoValue key, out AsoValue value)
    {
        ArgumentNullException.ThrowIfNull(key);
        var data = Data;
        if (key.Kind == AsoValueKind.Float && IsIntegral(key.AsDouble(), out long asInt))
        {
            key = FromInt64(asInt);
        }
        if (key.Kind == AsoValueKind.Integer && key._bits >= 1 && key._bits <= data.Array.Length)
        {
            value = data.Array[key._bits - 1];
            return true;
        }
        foreach (var (k, v) in data.Map)
        {
            if (k.Equals(key))
            {
                value = v;
                return true;
            }
        }
        value = Nil;
        return false;
    }

    private InvalidOperationException WrongKind(AsoValueKind wanted) => new($"The value is {Kind}, not {wanted}.");

    // ---- JSON ----------------------------------------------------------------------------

    /// <summary>Reads JSON as Lua data (see <see cref="AsoJson"/> for the mapping).</summary>
    public static AsoValue FromJson(JsonElement json) => AsoJson.FromJson(json);

    /// <summary>Writes this value as JSON (see <see cref="AsoJson"/> for the mapping).</summary>
    public void WriteJson(Utf8JsonWriter writer) => AsoJson.Write(writer, this);

    /// <summary>This value as a JSON string.</summary>
    public string ToJson() => AsoJson.ToJsonString(this);

    // ---- equality ------------------------------------------------------------------------

    /// <inheritdoc />
    public bool Equals(AsoValue? other)
    {
        if (ReferenceEquals(this, other))
        {
            return true;
        }
        if (other is null || other.Kind != Kind)
        {
            return false;
        }
        switch (Kind)
        {
            case AsoValueKind.Nil:
                return true;
            case AsoValueKind.String:
                return StringSpan.SequenceEqual(other.StringSpan);
            case AsoValueKind.Table:
                var a = Data;
                var b = other.Data;
                if (a.Array.Length != b.Array.Length || a.Map.Length != b.Map.Length)
                {
                    return false;
                }
                for (int i = 0; i < a.Array.Length; i++)
                {
                    if (!a.Array[i].Equals(b.Array[i]))
                    {
                        return false;
                    }
                }
                for (int i = 0; i < a.Map.Length; i++)
                {
                    if (!a.Map[i].Key.Equals(b.Map[i].Key) || !a.Map[i].Value.Equals(b.Map[i].Value))
                    {
                        return false;
                    }
                }
                return true;
            default:
                return _bits == other._bits;
        }
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as AsoValue);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Kind);
        switch (Kind)
        {
            case AsoValueKind.String:
                hash.AddBytes(StringSpan);
                break;
            case AsoValueKind.Table:
                var data = Data;
                hash.Add(data.Array.Length);
                hash.Add(data.Map.Length);
                foreach (var item in data.Array)
                {
                    hash.Add(item.GetHashCode());
                }
                foreach (var (k, v) in data.Map)
                {
                    hash.Add(k.GetHashCode());
                    hash.Add(v.GetHashCode());
                }
                break;
            default:
                hash.Add(_bits);
                break;
        }
        return hash.ToHashCode();
    }

    public static bool operator ==(AsoValue? left, AsoValue? right) => left is null ? right is null : left.Equals(right);

    public static bool operator !=(AsoValue? left, AsoValue? right) => !(left == right);

    public static implicit operator AsoValue(bool value) => FromBoolean(value);

    public static implicit operator AsoValue(long value) => FromInt64(value);

    public static implicit operator AsoValue(double value) => FromDouble(value);

    public static implicit operator AsoValue(string? value) => value is null ? Nil : FromString(value);

    /// <summary>A Lua-like literal, for messages and debugging.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        Append(sb, this, 0);
        return sb.ToString();
    }

    private static void Append(StringBuilder sb, AsoValue v, int depth)
    {
        switch (v.Kind)
        {
            case AsoValueKind.Nil:
                sb.Append("nil");
                break;
            case AsoValueKind.Boolean:
                sb.Append(v._bits != 0 ? "true" : "false");
                break;
            case AsoValueKind.Integer:
                sb.Append(v._bits.ToString(CultureInfo.InvariantCulture));
                break;
            case AsoValueKind.Float:
                sb.Append(AsoJson.FormatFloat(v.AsDouble()));
                break;
            case AsoValueKind.String:
                sb.Append('"').Append(Encoding.UTF8.GetString(v.StringSpan).Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
                break;
            case AsoValueKind.Table:
                if (depth > 8)
                {
                    sb.Append("{...}");
                    break;
                }
                sb.Append('{');
                bool first = true;
                foreach (var item in v.Data.Array)
                {
                    sb.Append(first ? "" : ", ");
                    first = false;
                    Append(sb, item, depth + 1);
                }
                foreach (var (key, value) in v.Data.Map)
                {
                    sb.Append(first ? "" : ", ");
                    first = false;
                    sb.Append('[');
                    Append(sb, key, depth + 1);
                    sb.Append("] = ");
                    Append(sb, value, depth + 1);
                }
                sb.Append('}');
                break;
        }
    }

    private sealed class TableData(AsoValue[] array, KeyValuePair<AsoValue, AsoValue>[] map)
    {
        public static readonly TableData Empty = new([], []);

        private IReadOnlyList<AsoValue>? _arrayView;
        private IReadOnlyList<KeyValuePair<AsoValue, AsoValue>>? _mapView;

        public AsoValue[] Array { get; } = array;

        public KeyValuePair<AsoValue, AsoValue>[] Map { get; } = map;

        // Read-only wrappers, so that callers cannot cast the parts back to arrays and write.
        public IReadOnlyList<AsoValue> ArrayView => _arrayView ??= System.Array.AsReadOnly(Array);

        public IReadOnlyList<KeyValuePair<AsoValue, AsoValue>> MapView => _mapView ??= System.Array.AsReadOnly(Map);
    }
}
