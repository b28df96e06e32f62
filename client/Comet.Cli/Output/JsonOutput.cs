using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Comet.Abstractions.Protocol;
using Comet.Client;

namespace Comet.Cli.Output;

/// <summary>
/// The JSON the CLI prints: versions (siblings, <c>get --json</c>) and history (<c>history --json</c>). A passive value
/// appears as <c>"value"</c> when it is UTF-8 text and as <c>"base64"</c> otherwise; an ASO's answer is embedded as JSON.
/// </summary>
internal static class JsonOutput
{
    private static readonly JsonWriterOptions Options = new()
    {
        Indented = true,
        // Terminal output, not HTML: keep quotes, '<' and non-ASCII text readable.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Siblings: a JSON list of the versions.</summary>
    public static void WriteVersions(TextWriter output, IReadOnlyList<CometVersionedValue> versions) =>
        Write(output, json =>
        {
            json.WriteStartArray();
            foreach (var version in versions) WriteVersion(json, version);
            json.WriteEndArray();
        });

    /// <summary><c>get --json</c>: the key, the causal context and every version.</summary>
    public static void WriteGetResult(TextWriter output, CometGetResult result) =>
        Write(output, json =>
        {
            json.WriteStartObject();
            json.WriteString("key", result.Key);
            json.WriteString("context", result.Context);
            json.WritePropertyName("versions");
            json.WriteStartArray();
            foreach (var version in result.Versions) WriteVersion(json, version);
            json.WriteEndArray();
            json.WriteEndObject();
        });

    /// <summary><c>history --json</c>: the kept versions, newest first.</summary>
    public static void WriteHistory(TextWriter output, IReadOnlyList<CometHistoryEntry> entries) =>
        Write(output, json =>
        {
            json.WriteStartArray();
            foreach (var entry in entries)
            {
                json.WriteStartObject();
                json.WriteString("version", entry.Version);
                json.WriteString("kind", KindName(entry.Kind));
                json.WriteBoolean("live", entry.Live);
                json.WriteString("writtenAt", entry.WrittenAt.ToString("O", CultureInfo.InvariantCulture));
                if (entry.ExpiresAt is { } expires) json.WriteString("expiresAt", expires.ToString("O", CultureInfo.InvariantCulture));
                json.WriteNumber("size", entry.Size);
                json.WriteBoolean("dataKept", entry.DataKept);
                json.WriteEndObject();
            }
            json.WriteEndArray();
        });

    /// <summary><c>bench --json</c>: the plan, then each phase's throughput and latencies (milliseconds).</summary>
    public static void WriteBench(TextWriter output, int concurrency, int keys, int valueBytes, int readPercent, IReadOnlyList<Bench.BenchResult> phases) =>
        Write(output, json =>
        {
            json.WriteStartObject();
            json.WriteNumber("concurrency", concurrency);
            json.WriteNumber("keys", keys);
            json.WriteNumber("valueBytes", valueBytes);
            json.WriteNumber("readPercent", readPercent);
            json.WritePropertyName("phases");
            json.WriteStartArray();
            foreach (var phase in phases)
            {
                json.WriteStartObject();
                json.WriteString("phase", phase.Phase);
                json.WriteNumber("operations", phase.Operations);
                json.WriteNumber("errors", phase.Errors);
                json.WriteNumber("seconds", Math.Round(phase.Seconds, 3));
                json.WriteNumber("opsPerSecond", Math.Round(phase.OpsPerSecond, 1));
                json.WriteNumber("p50Ms", Math.Round(phase.P50Ms, 3));
                json.WriteNumber("p99Ms", Math.Round(phase.P99Ms, 3));
                json.WriteNumber("maxMs", Math.Round(phase.MaxMs, 3));
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        });

    public static string KindName(ObjectKind kind) => kind switch
    {
        ObjectKind.Value => "value",
        ObjectKind.Aso => "aso",
        ObjectKind.Tombstone => "deleted",
        _ => kind.ToString().ToLowerInvariant(),
    };

    /// <summary>The bytes as text when they are valid UTF-8, else null.</summary>
    public static string? TryText(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    private static void WriteVersion(Utf8JsonWriter json, CometVersionedValue version)
    {
        json.WriteStartObject();
        json.WriteString("version", version.Version);
        json.WriteString("kind", KindName(version.Kind));
        if (version.ExpiresAt is { } expires) json.WriteString("expiresAt", expires.ToString("O", CultureInfo.InvariantCulture));
        if (version.Kind == ObjectKind.Aso) WriteEmbeddedJson(json, "value", version.Bytes.Span);
        else WriteBytes(json, version.Bytes.Span);
        json.WriteEndObject();
    }

    private static void WriteBytes(Utf8JsonWriter json, ReadOnlySpan<byte> bytes)
    {
        if (TryText(bytes) is { } text) json.WriteString("value", text);
        else json.WriteBase64String("base64", bytes);
    }

    private static void WriteEmbeddedJson(Utf8JsonWriter json, string name, ReadOnlySpan<byte> bytes)
    {
        json.WritePropertyName(name);
        try
        {
            using var document = JsonDocument.Parse(bytes.ToArray());
            document.RootElement.WriteTo(json);
        }
        catch (JsonException)
        {
            // Not JSON after all (a silo bug or an older format): show it as text rather than fail the command.
            if (TryText(bytes) is { } text) json.WriteStringValue(text);
            else json.WriteBase64StringValue(bytes);
        }
    }

    private static void Write(TextWriter output, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, Options)) write(json);
        output.WriteLine(Encoding.UTF8.GetString(buffer.WrittenSpan));
    }
}
