using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Comet.Storage.Azure;

/// <summary>
/// One entity as the provider stores it: a row's data split over binary properties
/// <c>D0</c>, <c>D1</c>, … (at most 64 KiB each), plus bookkeeping for rows that need more than
/// one entity (<c>X</c>: overflow entity count, <c>G</c>: the write's generation, which every
/// overflow entity repeats) and for over-long keys (<c>Pk</c>/<c>Rk</c>: the keys in UTF-8).
/// </summary>
internal sealed record TableEntity(
    string PartitionKey,
    string RowKey,
    IReadOnlyList<ReadOnlyMemory<byte>> Chunks,
    int OverflowCount,
    string? Generation,
    string? OriginalPartitionKey,
    string? OriginalRowKey,
    string? ETag,
    DateTimeOffset Timestamp)
{
    /// <summary>Azure's cap on one binary property.</summary>
    public const int MaxPropertyBytes = 64 * 1024;

    /// <summary>
    /// Data properties per entity. Azure allows 1 MiB per entity counted in binary, but Azurite
    /// counts the JSON body (Base64 is 4/3 larger), so 11 × 64 KiB (~939 KiB of JSON) fits both.
    /// </summary>
    public const int MaxChunksPerEntity = 11;

    /// <summary>Data one entity carries.</summary>
    public const int MaxBytesPerEntity = MaxPropertyBytes * MaxChunksPerEntity;

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Keys are already free of the characters JSON must escape except controls; keep the rest as UTF-8.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The JSON body of an insert or update.</summary>
    public byte[] ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("PartitionKey", PartitionKey);
            json.WriteString("RowKey", RowKey);
            for (var i = 0; i < Chunks.Count; i++)
            {
                var name = "D" + i.ToString(CultureInfo.InvariantCulture);
                json.WriteString(name + "@odata.type", "Edm.Binary");
                json.WriteBase64String(name, Chunks[i].Span);
            }
            if (OverflowCount > 0)
                json.WriteNumber("X", OverflowCount);
            if (Generation is not null)
                json.WriteString("G", Generation);
            WriteKey(json, "Pk", OriginalPartitionKey);
            WriteKey(json, "Rk", OriginalRowKey);
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>Reads an entity from a point read or one element of a query's <c>value</c> array.</summary>
    public static TableEntity Parse(JsonElement json)
    {
        var chunks = new List<ReadOnlyMemory<byte>>();
        for (var i = 0; json.TryGetProperty("D" + i.ToString(CultureInfo.InvariantCulture), out var chunk); i++)
            chunks.Add(chunk.GetBytesFromBase64());
        return new TableEntity(
            json.GetProperty("PartitionKey").GetString()!,
            json.GetProperty("RowKey").GetString()!,
            chunks,
            json.TryGetProperty("X", out var x) ? x.GetInt32() : 0,
            json.TryGetProperty("G", out var g) ? g.GetString() : null,
            ReadKey(json, "Pk"),
            ReadKey(json, "Rk"),
            json.TryGetProperty("odata.etag", out var etag) ? etag.GetString() : null,
            json.TryGetProperty("Timestamp", out var stamp) ? stamp.GetDateTimeOffset() : default);
    }

    /// <summary>Total bytes of data in this entity.</summary>
    public int DataLength
    {
        get
        {
            var length = 0;
            foreach (var chunk in Chunks)
                length += chunk.Length;
            return length;
        }
    }

    private static void WriteKey(Utf8JsonWriter json, string name, string? key)
    {
        if (key is null)
            return;
        json.WriteString(name + "@odata.type", "Edm.Binary");
        json.WriteBase64String(name, Encoding.UTF8.GetBytes(key));
    }

    private static string? ReadKey(JsonElement json, string name) =>
        json.TryGetProperty(name, out var value) ? Encoding.UTF8.GetString(value.GetBytesFromBase64()) : null;
}
