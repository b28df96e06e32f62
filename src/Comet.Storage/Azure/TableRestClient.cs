using System.Text.Json;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Comet.Abstractions.Errors;

namespace Comet.Storage.Azure;

/// <summary>
/// The few Table service REST calls the provider makes, on an Azure.Core pipeline (which brings
/// retries with back-off, timeouts, logging and the authentication policy). Speaks JSON
/// (<c>odata=minimalmetadata</c>, API version 2019-02-02) and returns raw responses; the caller
/// decides what each status means.
/// </summary>
internal sealed class TableRestClient
{
    public const string ApiVersion = "2019-02-02";
    private const string JsonAccept = "application/json;odata=minimalmetadata";
    private const string JsonContentType = "application/json";

    private readonly HttpPipeline pipeline;
    private readonly Uri endpoint;

    public TableRestClient(Uri endpoint, HttpPipeline pipeline)
    {
        this.pipeline = pipeline;
        // Keep the account segment of path-style endpoints (Azurite) and drop a trailing slash.
        this.endpoint = new Uri(endpoint.GetLeftPart(UriPartial.Path).TrimEnd('/'));
    }

    /// <summary>The absolute URL of a resource below the endpoint, e.g. <c>mytable</c> or <c>$batch</c>.</summary>
    public Uri Url(string relative) => new(endpoint + "/" + relative);

    /// <summary>The path of one entity: <c>table(PartitionKey='..',RowKey='..')</c>, keys quoted and percent-encoded.</summary>
    public static string EntityPath(string table, string storedPartitionKey, string storedRowKey) =>
        $"{table}(PartitionKey='{QuoteForPath(storedPartitionKey)}',RowKey='{QuoteForPath(storedRowKey)}')";

    /// <summary>An OData string literal for <c>$filter</c>: single quotes doubled.</summary>
    public static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    public async ValueTask<Response> SendAsync(
        RequestMethod method,
        string relative,
        CancellationToken ct,
        IEnumerable<KeyValuePair<string, string>>? query = null,
        string? ifMatch = null,
        byte[]? body = null,
        string contentType = JsonContentType)
    {
        using var request = pipeline.CreateRequest();
        request.Method = method;
        request.Uri.Reset(Url(relative));
        if (query is not null)
        {
            foreach (var (name, value) in query)
                request.Uri.AppendQuery(name, value, escapeValue: true);
        }
        request.Headers.SetValue("x-ms-version", ApiVersion);
        request.Headers.SetValue("DataServiceVersion", "3.0");
        request.Headers.SetValue("MaxDataServiceVersion", "3.0;NetFx");
        request.Headers.SetValue("Accept", JsonAccept);
        if (ifMatch is not null)
            request.Headers.SetValue("If-Match", ifMatch);
        if (body is not null)
        {
            request.Headers.SetValue("Content-Type", contentType);
            request.Content = RequestContent.Create(body);
        }
        if (method == RequestMethod.Post || method == RequestMethod.Put)
            request.Headers.SetValue("Prefer", "return-no-content");
        // The response is buffered, so it outlives the request.
        return await pipeline.SendRequestAsync(request, ct).ConfigureAwait(false);
    }

    /// <summary>Creates the table; an existing table is fine.</summary>
    public async ValueTask CreateTableAsync(string table, CancellationToken ct)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["TableName"] = table });
        using var response = await SendAsync(RequestMethod.Post, "Tables", ct, body: body).ConfigureAwait(false);
        if (response.Status is 201 or 204 or 409)
            return;
        throw Failure(response, $"create table '{table}'");
    }

    /// <summary>The error code Azure put in the body (<c>odata.error.code</c>), or null.</summary>
    public static string? ErrorCode(Response response)
    {
        if (response.Headers.TryGetValue("x-ms-error-code", out var header))
            return header;
        try
        {
            using var json = JsonDocument.Parse(response.Content.ToMemory());
            return json.RootElement.GetProperty("odata.error").GetProperty("code").GetString();
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>A typed error for a status the caller did not expect.</summary>
    public static CometException Failure(Response response, string what)
    {
        var code = ErrorCode(response) ?? response.ReasonPhrase;
        var message = $"Azure Table storage refused to {what}: {response.Status} {code}.";
        return response.Status switch
        {
            400 => new CometException(CometErrorCode.BadRequest, message),
            401 or 403 => new CometException(CometErrorCode.Forbidden,
                message + " Check the account key, or that the identity holds the 'Storage Table Data Contributor' role."),
            404 => new CometException(CometErrorCode.NotFound, message),
            413 => new CometException(CometErrorCode.TooLarge, message),
            408 or 429 or 500 or 502 or 503 or 504 => new CometException(CometErrorCode.Unavailable, message + " Retries were exhausted; try again later."),
            _ => new CometException(CometErrorCode.Internal, message),
        };
    }

    private static string QuoteForPath(string storedKey) =>
        Uri.EscapeDataString(storedKey.Replace("'", "''", StringComparison.Ordinal));
}
