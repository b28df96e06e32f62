using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Comet.Abstractions.Errors;

namespace Comet.Sandbox;

/// <summary>
/// JSON rendering of Lua data, for the REST gateway (an ASO's onGet result as JSON,
/// <c>args</c> from a query string).
/// </summary>
/// <remarks>
/// <para>Lua → JSON: nil → <c>null</c>; booleans; integers as JSON integers; finite floats as JSON
/// numbers that always carry a fraction or exponent (<c>2.0</c>, so they read back as floats);
/// NaN and ±infinity → <c>null</c> (JSON has no such numbers); strings as JSON strings (bytes that
/// are not valid UTF-8 are replaced by U+FFFD). A table whose keys are exactly 1..n (n ≥ 1) is
/// an array; any other table, the empty one included, is an object: array-part keys become
/// "1", "2", …, and map keys their text (integers in decimal, floats in round-trip form,
/// booleans as "true"/"false"). Should two keys render alike (1 and "1"), both are written.</para>
/// <para>JSON → Lua: objects become tables with string keys and arrays sequences 1..n; null
/// members of objects are left out, and a null array item leaves a hole (Lua tables hold no
/// nil); numbers without fraction or exponent that fit 64 bits are integers, others floats.
/// Nesting deeper than <see cref="AsoStateCodec.MaxDepth"/> is refused.</para>
/// </remarks>
public static class AsoJson
{
    /// <summary>Reads a JSON element as Lua data; throws <see cref="CometErrorCode.BadRequest"/> when nested too deep.</summary>
    public static AsoValue FromJson(JsonElement json)
    {
        try
        {
            return Read(json, 0);
        }
        catch (InvalidOperationException e)
        {
            // System.Text.Json accepts the escape "\udc00" (a lone UTF-16 surrogate) while parsing
            // but cannot turn it into a string: the caller sent text that is not Unicode.
            throw new AsoException(CometErrorCode.BadRequest,
                "The JSON has a string or member name that is not valid Unicode (a lone UTF-16 surrogate escape such as \\udc00 or a high surrogate without its low one); send valid text.", e);
        }
    }

    /// <summary>Parses JSON text as Lua data; throws <see cref="CometErrorCode.BadRequest"/> for invalid JSON.</summary>
    public static AsoValue Parse(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return FromJson(doc.RootElement);
        }
        catch (JsonException e)
        {
            throw new AsoException(CometErrorCode.BadRequest, $"The JSON is not valid: {e.Message}", e);
        }
    }

    /// <summary>Writes <paramref name="value"/> as JSON.</summary>
    public static void Write(Utf8JsonWriter writer, AsoValue value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        Write(writer, value, 0);
    }

    /// <summary><paramref name="value"/> as a JSON string (non-ASCII text left as is, not \u-escaped).</summary>
    public static string ToJsonString(AsoValue value)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            Write(writer, value);
        }
        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    /// <summary>A float in round-trip form that always reads back as a float.</summary>
    internal static string FormatFloat(double d)
    {
        if (double.IsNaN(d))
        {
            return "nan";
        }
        if (double.IsInfinity(d))
        {
            return d > 0 ? "inf" : "-inf";
        }
        string s = d.ToString("R", CultureInfo.InvariantCulture);
        return s.Contains('.', StringComparison.Ordinal) || s.Contains('E', StringComparison.Ordinal) ? s : s + ".0";
    }

    private static void Write(Utf8JsonWriter writer, AsoValue value, int depth)
    {
        switch (value.Kind)
        {
            case AsoValueKind.Nil:
                writer.WriteNullValue();
                break;
            case AsoValueKind.Boolean:
                writer.WriteBooleanValue(value.AsBoolean());
                break;
            case AsoValueKind.Integer:
                writer.WriteNumberValue(value.AsInt64());
                break;
            case AsoValueKind.Float:
                double d = value.AsDouble();
                if (double.IsFinite(d))
                {
                    writer.WriteRawValue(FormatFloat(d), skipInputValidation: true);
                }
                else
                {
                    writer.WriteNullValue();
                }
                break;
            case AsoValueKind.String:
                writer.WriteStringValue(Text(value));
                break;
            case AsoValueKind.Table:
                if (depth >= AsoStateCodec.MaxDepth)
                {
                    throw new AsoException(CometErrorCode.BadRequest, $"Tables nest deeper than {AsoStateCodec.MaxDepth} levels.");
                }
                WriteTable(writer, value, depth);
                break;
        }
    }

    private static void WriteTable(Utf8JsonWriter writer, AsoValue table, int depth)
    {
        var array = table.ArrayItems;
        var map = table.MapItems;
        if (map.Length == 0 && array.Length > 0)
        {
            writer.WriteStartArray();
            foreach (var item in array)
            {
                Write(writer, item, depth + 1);
            }
            writer.WriteEndArray();
            return;
        }
        writer.WriteStartObject();
        for (int i = 0; i < array.Length; i++)
        {
            writer.WritePropertyName((i + 1).ToString(CultureInfo.InvariantCulture));
            Write(writer, array[i], depth + 1);
        }
        foreach (var (key, item) in map)
        {
            writer.WritePropertyName(KeyText(key));
            Write(writer, item, depth + 1);
        }
        writer.WriteEndObject();
    }

    private static string KeyText(AsoValue key) => key.Kind switch
    {
        AsoValueKind.String => Text(key),
        AsoValueKind.Integer => key.AsInt64().ToString(CultureInfo.InvariantCulture),
        AsoValueKind.Float => FormatFloat(key.AsDouble()),
        AsoValueKind.Boolean => key.AsBoolean() ? "true" : "false",
        _ => key.ToString(),
    };

    private static string Text(AsoValue s) => s.TryGetString(out var text) ? text : Encoding.UTF8.GetString(s.AsBytes().Span);

    private static AsoValue Read(JsonElement json, int depth)
    {
        switch (json.ValueKind)
        {
            case JsonValueKind.Null:
            case JsonValueKind.Undefined:
                return AsoValue.Nil;
            case JsonValueKind.True:
                return AsoValue.True;
            case JsonValueKind.False:
                return AsoValue.False;
            case JsonValueKind.Number:
                return json.TryGetInt64(out long i) ? AsoValue.FromInt64(i) : AsoValue.FromDouble(json.GetDouble());
            case JsonValueKind.String:
                return AsoValue.FromString(json.GetString()!);
            case JsonValueKind.Array:
            {
                CheckDepth(depth);
                var entries = new List<KeyValuePair<AsoValue, AsoValue>>(json.GetArrayLength());
                long index = 1;
                foreach (var item in json.EnumerateArray())
                {
                    entries.Add(new(AsoValue.FromInt64(index++), Read(item, depth + 1)));
                }
                return AsoValue.Table(entries);
            }
            case JsonValueKind.Object:
            {
                CheckDepth(depth);
                var entries = new List<KeyValuePair<AsoValue, AsoValue>>();
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var property in json.EnumerateObject())
                {
                    if (!seen.Add(property.Name))
                    {
                        throw new AsoException(CometErrorCode.BadRequest, $"The JSON object has the member \"{property.Name}\" twice.");
                    }
                    entries.Add(new(AsoValue.FromString(property.Name), Read(property.Value, depth + 1)));
                }
                return AsoValue.Table(entries);
            }
            default:
                throw new AsoException(CometErrorCode.BadRequest, $"JSON {json.ValueKind} cannot be Lua data.");
        }
    }

    private static void CheckDepth(int depth)
    {
        if (depth >= AsoStateCodec.MaxDepth)
        {
            throw new AsoException(CometErrorCode.BadRequest, $"The JSON nests deeper than {AsoStateCodec.MaxDepth} levels.");
        }
    }
}
