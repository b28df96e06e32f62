using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Protocol;
using Comet.Gateway.Metrics;
using Comet.Gateway.Security;
using Comet.Grains;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Comet.Gateway.Rest;

/// <summary>
/// The REST gateway every silo serves (OpenDHT's "any host can call it"), exactly as DESIGN.md
/// specifies it: <c>PUT/GET/DELETE /v1/{ns}/keys/{key}</c> and <c>GET …/history</c>. Keys are
/// single path segments; a key holding '/' is sent percent-encoded (%2F), and the gateway
/// decodes segments from the raw request target so that %2F and '/' stay distinct.
/// </summary>
public static class RestGateway
{
    public const string LuaContentType = "application/x-lua";
    public const string VersionHeader = "X-Comet-Version";
    public const string ContextHeader = "X-Comet-Context";

    /// <summary>Maps the REST gateway onto a silo's web host; the coordinator and security come from its services.</summary>
    public static IEndpointRouteBuilder MapCometRest(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var coordinator = app.ServiceProvider.GetRequiredService<Coordinator>();
        var security = app.ServiceProvider.GetRequiredService<GatewaySecurity>();
        // Optional: the admin API registers it to show ops/s, latency and errors by code.
        var metrics = app.ServiceProvider.GetService<OperationMetrics>();
        app.MapMethods("/v1/{ns}/keys/{**rest}", ["GET", "PUT", "DELETE"], (HttpContext http) => HandleAsync(http, coordinator, security, metrics));
        return app;
    }

    private static async Task HandleAsync(HttpContext http, Coordinator coordinator, GatewaySecurity security, OperationMetrics? metrics)
    {
        var limits = coordinator.Options.Limits;
        var started = Stopwatch.GetTimestamp();
        CometErrorCode? failed = null;
        var op = OpOf(http.Request.Method, history: false);
        try
        {
            var (ns, key, history) = ParseTarget(http);
            op = OpOf(http.Request.Method, history);
            var ct = http.RequestAborted;
            // Access and rates are checked before the body is read; a refusal changes nothing.
            var credentials = await security.CredentialsOfAsync(HttpCredentials.PresentedKey(http.Request), http.Connection.RemoteIpAddress, ct).ConfigureAwait(false);
            security.Admit(credentials, ns, key);
            var caller = new CallerInfo(http.Connection.RemoteIpAddress?.ToString(), credentials.Key?.Id ?? "anonymous", null, null);
            switch (http.Request.Method)
            {
                case "GET" when history:
                    await WriteHistoryAsync(http, await coordinator.HistoryAsync(new HistoryQuery(ns, key), ct).ConfigureAwait(false)).ConfigureAwait(false);
                    break;
                case "GET":
                    var get = new GetCommand(ns, key, Query(http, "version"), Quorum(http), Query(http, "args"));
                    await WriteGetAsync(http, await coordinator.GetAsync(get, caller, ct).ConfigureAwait(false)).ConfigureAwait(false);
                    break;
                case "PUT" when !history:
                    var put = await ReadPutAsync(http, ns, key, limits).ConfigureAwait(false);
                    security.AdmitPut(credentials, Encoding.UTF8.GetByteCount(key) + put.Value.Length + (put.Code?.Length ?? 0), put.TtlSeconds);
                    var putAnswer = await coordinator.PutAsync(put, caller, ct).ConfigureAwait(false);
                    http.Response.StatusCode = putAnswer.Created ? StatusCodes.Status201Created : StatusCodes.Status200OK;
                    http.Response.Headers[VersionHeader] = putAnswer.Version;
                    http.Response.Headers[ContextHeader] = putAnswer.Context;
                    await http.Response.WriteAsJsonAsync(new PutAnswer(putAnswer.Version, putAnswer.Context, putAnswer.Replicas), RestJson.Default.PutAnswer, cancellationToken: ct).ConfigureAwait(false);
                    break;
                case "DELETE" when !history:
                    var delete = new DeleteCommand(ns, key, Context(http), Quorum(http), Query(http, "args"));
                    var deleteAnswer = await coordinator.DeleteAsync(delete, caller, ct).ConfigureAwait(false);
                    http.Response.Headers[VersionHeader] = deleteAnswer.Version;
                    http.Response.StatusCode = StatusCodes.Status204NoContent;
                    break;
                default:
                    throw new CometException(CometErrorCode.BadRequest, $"{http.Request.Method} is not supported on history; use GET.");
            }
        }
        catch (RateLimitedException ex)
        {
            failed = ex.Code;
            await WriteErrorAsync(http, ex.Code, ex.Message, ex.RetryAfter).ConfigureAwait(false);
        }
        catch (CometException ex)
        {
            failed = ex.Code;
            if (ex.Code == CometErrorCode.Unauthorized) http.Response.Headers.WWWAuthenticate = "Bearer realm=\"comet\"";
            await WriteErrorAsync(http, ex.Code, ex.Message, context: ex.Context).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            failed = CometErrorCode.TooLarge;
            await WriteErrorAsync(http, CometErrorCode.TooLarge, $"The request body is larger than {limits.MaxValueBytes} bytes.").ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away.
        }
        finally
        {
            if (metrics is not null)
            {
                metrics.Record(op, Stopwatch.GetElapsedTime(started));
                if (failed is { } code) metrics.RecordError(code);
            }
        }
    }

    /// <summary>The op a request is, for metrics.</summary>
    private static ClientOp OpOf(string method, bool history) => method switch
    {
        _ when history => ClientOp.History,
        "PUT" => ClientOp.Put,
        "DELETE" => ClientOp.Delete,
        _ => ClientOp.Get,
    };

    /// <summary>
    /// The JSON error answer; a RateLimited one carries its retry hint (<c>Retry-After</c> in whole seconds, and <c>retryAfterMs</c>).
    /// A miss carries the causal context it saw (the empty one, or a delete's) in <c>X-Comet-Context</c>, so that a put
    /// which creates the key can send it and be kept beside, not over, another client's create.
    /// </summary>
    public static async Task WriteErrorAsync(HttpContext http, CometErrorCode code, string message, TimeSpan? retryAfter = null, string? context = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (http.Response.HasStarted) return;
        var challenge = http.Response.Headers.WWWAuthenticate;
        http.Response.Clear();
        http.Response.StatusCode = ErrorCodeHttp.StatusOf(code);
        if (challenge.Count > 0) http.Response.Headers.WWWAuthenticate = challenge;
        if (context is not null) http.Response.Headers[ContextHeader] = context;
        long? retryMs = null;
        if (code == CometErrorCode.RateLimited)
        {
            var wait = retryAfter ?? TimeSpan.FromSeconds(1);
            retryMs = Math.Max(1, (long)Math.Ceiling(wait.TotalMilliseconds));
            http.Response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }
        await http.Response.WriteAsJsonAsync(new ErrorAnswer(code.ToString(), message, retryMs), RestJson.Default.ErrorAnswer).ConfigureAwait(false);
    }

    /// <summary>Splits the raw target <c>/v1/{ns}/keys/{key}[/history]</c> into decoded segments.</summary>
    private static (string Ns, string Key, bool History) ParseTarget(HttpContext http)
    {
        var raw = http.Features.Get<IHttpRequestFeature>()?.RawTarget ?? http.Request.Path.Value ?? "";
        var query = raw.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0) raw = raw[..query];
        var segments = raw.Split('/');
        // "", "v1", ns, "keys", key [, "history"]
        if (segments.Length is < 5 or > 6 || segments[1] != "v1" || segments[3] != "keys" || (segments.Length == 6 && segments[5] != "history"))
            throw new CometException(CometErrorCode.BadRequest, "Paths are /v1/{namespace}/keys/{key} and /v1/{namespace}/keys/{key}/history; encode '/' inside a key as %2F.");
        var ns = Decode(segments[2]);
        var key = Decode(segments[4]);
        if (key.Length == 0) throw new CometException(CometErrorCode.BadKey, "The key is empty; keys are 1 or more UTF-8 bytes.");
        return (ns, key, segments.Length == 6);
    }

    private static string Decode(string segment)
    {
        // Uri.UnescapeDataString leaves invalid UTF-8 as escapes silently; decode bytes strictly instead.
        var bytes = new List<byte>(segment.Length);
        for (var i = 0; i < segment.Length; i++)
        {
            var c = segment[i];
            if (c == '%' && i + 2 < segment.Length
                && byte.TryParse(segment.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var b))
            {
                bytes.Add(b);
                i += 2;
            }
            else if (c < 0x80)
            {
                bytes.Add((byte)c);
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
            }
        }
        try
        {
            return new UTF8Encoding(false, true).GetString(bytes.ToArray());
        }
        catch (DecoderFallbackException)
        {
            throw new CometException(CometErrorCode.BadKey, "The key or namespace is not valid UTF-8 once percent-decoded.");
        }
    }

    private static async Task<PutCommand> ReadPutAsync(HttpContext http, string ns, string key, Abstractions.Options.ObjectLimits limits)
    {
        var isAso = http.Request.ContentType is { } type && type.Split(';')[0].Trim().Equals(LuaContentType, StringComparison.OrdinalIgnoreCase);
        var limit = isAso ? limits.MaxCodeBytes : limits.MaxValueBytes;
        if (http.Request.ContentLength > limit)
            throw new CometException(CometErrorCode.TooLarge, $"The {(isAso ? "code" : "value")} is {http.Request.ContentLength} bytes; the limit is {limit}.");
        var body = await ReadBodyAsync(http.Request.Body, limit, isAso ? "code" : "value", http.RequestAborted).ConfigureAwait(false);
        var ttl = IntQuery(http, "ttl", 0, int.MaxValue);
        if (!isAso) return new PutCommand(ns, key, ObjectKind.Value, body, null, Context(http), ttl, Quorum(http), Query(http, "args"));
        string code;
        try
        {
            code = new UTF8Encoding(false, true).GetString(body);
        }
        catch (DecoderFallbackException)
        {
            throw new CometException(CometErrorCode.BadCode, "ASO code must be UTF-8 Lua source.");
        }
        return new PutCommand(ns, key, ObjectKind.Aso, ReadOnlyMemory<byte>.Empty, code, Context(http), ttl, Quorum(http), Query(http, "args"));
    }

    private static async Task<byte[]> ReadBodyAsync(Stream body, int limit, string what, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        while (true)
        {
            var n = await body.ReadAsync(chunk, ct).ConfigureAwait(false);
            if (n == 0) break;
            if (buffer.Length + n > limit)
                throw new CometException(CometErrorCode.TooLarge, $"The {what} is larger than the limit of {limit} bytes.");
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }

    private static async Task WriteGetAsync(HttpContext http, GetResult answer)
    {
        http.Response.Headers[ContextHeader] = answer.Context;
        if (answer.Items.Count == 1)
        {
            var item = answer.Items[0];
            http.Response.Headers[VersionHeader] = item.Version;
            if (item.ExpiresAtMs > 0)
                http.Response.Headers.Expires = DateTimeOffset.FromUnixTimeMilliseconds(item.ExpiresAtMs).ToString("R", CultureInfo.InvariantCulture);
            http.Response.ContentType = item.Kind == ObjectKind.Aso ? "application/json" : "application/octet-stream";
            await http.Response.Body.WriteAsync(item.Data, http.RequestAborted).ConfigureAwait(false);
            return;
        }
        http.Response.StatusCode = StatusCodes.Status300MultipleChoices;
        http.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(http.Response.Body);
        json.WriteStartArray();
        foreach (var item in answer.Items)
        {
            json.WriteStartObject();
            json.WriteString("version", item.Version);
            json.WriteString("kind", item.Kind == ObjectKind.Aso ? "aso" : "value");
            WriteData(json, item.Kind, item.Data);
            if (item.ExpiresAtMs > 0) json.WriteString("expiresAt", DateTimeOffset.FromUnixTimeMilliseconds(item.ExpiresAtMs));
            json.WriteEndObject();
        }
        json.WriteEndArray();
        await json.FlushAsync(http.RequestAborted).ConfigureAwait(false);
    }

    private static async Task WriteHistoryAsync(HttpContext http, HistoryResult answer)
    {
        http.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(http.Response.Body);
        json.WriteStartObject();
        json.WriteStartArray("versions");
        foreach (var item in answer.Items)
        {
            json.WriteStartObject();
            json.WriteString("version", item.Version);
            json.WriteString("kind", item.Kind switch { ObjectKind.Aso => "aso", ObjectKind.Tombstone => "deleted", _ => "value" });
            json.WriteBoolean("live", item.Live);
            json.WriteString("writtenAt", DateTimeOffset.FromUnixTimeMilliseconds(item.WrittenAtMs));
            if (item.ExpiresAtMs > 0) json.WriteString("expiresAt", DateTimeOffset.FromUnixTimeMilliseconds(item.ExpiresAtMs));
            json.WriteNumber("size", item.Size);
            if (!item.DataKept && item.Kind != ObjectKind.Tombstone) json.WriteBoolean("dataDropped", true);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
        await json.FlushAsync(http.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>An ASO's data is JSON already; a passive value is its text when it is UTF-8, and always base64.</summary>
    private static void WriteData(Utf8JsonWriter json, ObjectKind kind, ReadOnlyMemory<byte> data)
    {
        if (kind == ObjectKind.Aso)
        {
            json.WritePropertyName("value");
            json.WriteRawValue(data.Span, skipInputValidation: false);
            return;
        }
        try
        {
            json.WriteString("value", new UTF8Encoding(false, true).GetString(data.Span));
        }
        catch (DecoderFallbackException)
        {
            json.WriteNull("value");
        }
        json.WriteBase64String("base64", data.Span);
    }

    private static string? Query(HttpContext http, string name) =>
        http.Request.Query.TryGetValue(name, out var v) && v.Count > 0 ? v[0] : null;

    private static string? Context(HttpContext http) =>
        Query(http, "context") ?? (http.Request.Headers.TryGetValue(ContextHeader, out var h) && h.Count > 0 ? h[0] : null);

    private static QuorumOptions Quorum(HttpContext http) =>
        new(IntQuery(http, "n", 1, QuorumLimit), IntQuery(http, "r", 1, QuorumLimit), IntQuery(http, "w", 1, QuorumLimit));

    private const int QuorumLimit = 16;

    private static int? IntQuery(HttpContext http, string name, int min, int max)
    {
        var text = Query(http, name);
        if (text is null) return null;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            throw new CometException(CometErrorCode.BadRequest, $"Query '{name}={text}' must be a whole number from {min} to {max}.");
        return value;
    }
}

public sealed record PutAnswer(string Version, string Context, int Replicas);

public sealed record ErrorAnswer(
    string Error,
    string Message,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] long? RetryAfterMs = null);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(PutAnswer))]
[System.Text.Json.Serialization.JsonSerializable(typeof(ErrorAnswer))]
internal sealed partial class RestJson : System.Text.Json.Serialization.JsonSerializerContext;
