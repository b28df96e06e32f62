using System.Globalization;
using System.Text;

namespace Comet.Storage.Azure;

/// <summary>
/// An entity group transaction: one <c>multipart/mixed</c> batch holding one changeset of up to
/// 100 requests on one partition, which Azure applies atomically. Also reads the response: either
/// every request's status and ETag, or the one failure and the index of the request that caused it.
/// </summary>
internal sealed class BatchPayload
{
    private const string Crlf = "\r\n";
    private readonly string batchBoundary = "batch_" + Guid.NewGuid().ToString("N");
    private readonly string changesetBoundary = "changeset_" + Guid.NewGuid().ToString("N");
    private readonly MemoryStream body = new();

    public BatchPayload()
    {
        Write($"--{batchBoundary}{Crlf}Content-Type: multipart/mixed; boundary={changesetBoundary}{Crlf}{Crlf}");
    }

    /// <summary>The number of requests added.</summary>
    public int Count { get; private set; }

    public string ContentType => "multipart/mixed; boundary=" + batchBoundary;

    /// <summary>Adds one request: POST (insert), PUT (insert-or-replace, or replace with If-Match) or DELETE.</summary>
    public void Add(string method, Uri url, string? ifMatch, byte[]? json)
    {
        var head = new StringBuilder();
        head.Append(CultureInfo.InvariantCulture, $"--{changesetBoundary}{Crlf}");
        head.Append(CultureInfo.InvariantCulture, $"Content-Type: application/http{Crlf}Content-Transfer-Encoding: binary{Crlf}{Crlf}");
        head.Append(CultureInfo.InvariantCulture, $"{method} {url.AbsoluteUri} HTTP/1.1{Crlf}");
        head.Append(CultureInfo.InvariantCulture, $"Accept: application/json;odata=minimalmetadata{Crlf}DataServiceVersion: 3.0{Crlf}");
        if (ifMatch is not null)
            head.Append(CultureInfo.InvariantCulture, $"If-Match: {ifMatch}{Crlf}");
        if (json is not null)
            head.Append(CultureInfo.InvariantCulture, $"Content-Type: application/json{Crlf}Prefer: return-no-content{Crlf}Content-Length: {json.Length}{Crlf}");
        head.Append(Crlf);
        Write(head.ToString());
        if (json is not null)
            body.Write(json);
        Write(Crlf);
        Count++;
    }

    public byte[] ToArray()
    {
        Write($"--{changesetBoundary}--{Crlf}--{batchBoundary}--{Crlf}");
        return body.ToArray();
    }

    /// <summary>One response of the changeset.</summary>
    public readonly record struct Part(int Status, string? ETag, string Body);

    /// <summary>
    /// The changeset's responses in order. On failure Azure sends one response, whose error message
    /// starts with the 0-based index of the failed request ("3:The specified entity already exists.").
    /// </summary>
    public static List<Part> ParseResponse(string text)
    {
        var parts = new List<Part>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (!line.StartsWith("HTTP/1.1 ", StringComparison.Ordinal))
                continue;
            var status = int.Parse(line.AsSpan(9, 3), CultureInfo.InvariantCulture);
            string? etag = null;
            for (i++; i < lines.Length && lines[i].TrimEnd('\r').Length > 0; i++)
            {
                var header = lines[i].TrimEnd('\r');
                if (header.StartsWith("ETag:", StringComparison.OrdinalIgnoreCase))
                    etag = header[5..].Trim();
            }
            var content = new StringBuilder();
            for (i++; i < lines.Length && !lines[i].StartsWith("--", StringComparison.Ordinal); i++)
                content.Append(lines[i].TrimEnd('\r'));
            i--;
            parts.Add(new Part(status, etag, content.ToString()));
        }
        return parts;
    }

    /// <summary>The index at the start of a failed changeset's error message, or null.</summary>
    public static int? FailedIndex(string errorBody)
    {
        const string Marker = "\"value\":\"";
        var at = errorBody.IndexOf(Marker, StringComparison.Ordinal);
        if (at < 0)
            return null;
        var start = at + Marker.Length;
        var end = start;
        while (end < errorBody.Length && char.IsAsciiDigit(errorBody[end]))
            end++;
        return end > start && end < errorBody.Length && errorBody[end] == ':'
            ? int.Parse(errorBody.AsSpan(start, end - start), CultureInfo.InvariantCulture)
            : null;
    }

    private void Write(string text) => body.Write(Encoding.UTF8.GetBytes(text));
}
