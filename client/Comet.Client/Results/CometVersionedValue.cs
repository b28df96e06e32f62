using System.Text;
using System.Text.Json;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Protocol;

namespace Comet.Client;

/// <summary>
/// One version in a get answer. For a passive value <see cref="Bytes"/> are the stored bytes; for an ASO they are the
/// UTF-8 JSON of what its <c>onGet</c> handler returned (or of <c>aso.value</c> when it has no handler).
/// </summary>
public sealed class CometVersionedValue
{
    internal CometVersionedValue(string version, ObjectKind kind, ReadOnlyMemory<byte> bytes, DateTimeOffset? expiresAt)
    {
        Version = version;
        Kind = kind;
        Bytes = bytes;
        ExpiresAt = expiresAt;
    }

    /// <summary>The version id (e.g. <c>silo-1:42</c>).</summary>
    public string Version { get; }

    /// <summary><see cref="ObjectKind.Value"/> (passive bytes) or <see cref="ObjectKind.Aso"/> (JSON of the handler's answer).</summary>
    public ObjectKind Kind { get; }

    /// <summary>The value's bytes, or the ASO answer's UTF-8 JSON.</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    /// <summary>When this version expires; null when it never does.</summary>
    public DateTimeOffset? ExpiresAt { get; }

    /// <summary>The bytes as UTF-8 text (for an ASO: the JSON text of its answer).</summary>
    public string AsString() => Encoding.UTF8.GetString(Bytes.Span);

    /// <summary>
    /// The bytes parsed as JSON: an ASO's answer (Lua tables become arrays or objects), or a value that holds JSON.
    /// Throws <see cref="CometException"/> <see cref="CometErrorCode.BadRequest"/> when the bytes are not JSON.
    /// </summary>
    public JsonElement AsJson()
    {
        try
        {
            using var document = JsonDocument.Parse(Bytes);
            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw NotJson(ex);
        }
    }

    /// <summary>
    /// The bytes deserialised from JSON with <paramref name="options"/> (default: <see cref="JsonSerializerOptions.Web"/>,
    /// camelCase and case-insensitive). Throws <see cref="CometException"/> <see cref="CometErrorCode.BadRequest"/> when
    /// the bytes are not JSON of that shape.
    /// </summary>
    public T? As<T>(JsonSerializerOptions? options = null)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(Bytes.Span, options ?? JsonSerializerOptions.Web);
        }
        catch (JsonException ex)
        {
            throw NotJson(ex);
        }
    }

    public override string ToString() => $"{Version} {Kind} ({Bytes.Length} bytes)";

    private CometException NotJson(JsonException ex) => new(CometErrorCode.BadRequest,
        $"Version {Version} ({Kind}, {Bytes.Length} bytes) is not the JSON asked for: {ex.Message} Read it with Bytes or AsString() instead.", ex);
}
