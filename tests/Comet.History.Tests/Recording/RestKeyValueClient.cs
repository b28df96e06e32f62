using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Comet.History.Tests.Checking;

namespace Comet.History.Tests.Recording;

/// <summary>
/// A REST client (the README's contract): each request goes to one of the silos <paramref name="targets"/> names at the
/// time (id and REST base address), chosen at random.
/// </summary>
internal sealed class RestKeyValueClient(string name, HttpClient http, Func<IReadOnlyList<(string Id, string Address)>> targets, RecordedHistory history, RunClock clock, int seed)
    : IKeyValueClient
{
    public const string ContextHeader = "X-Comet-Context";

    private readonly Random _random = new(seed);

    public string Name { get; } = name;

    public static HttpClient CreateHttp() => new(new SocketsHttpHandler
    {
        ConnectTimeout = TimeSpan.FromSeconds(3),
        PooledConnectionLifetime = TimeSpan.FromSeconds(30),
        MaxConnectionsPerServer = 64,
    })
    {
        // A frozen silo accepts and never answers; the timeout makes such a request indeterminate.
        Timeout = TimeSpan.FromSeconds(10),
    };

    private static string Path(string key) => "/v1/default/keys/" + Uri.EscapeDataString(key);

    private (string Id, string Address)? Pick()
    {
        var now = targets();
        return now.Count == 0 ? null : now[_random.Next(now.Count)];
    }

    public async Task<ReadOp> ReadAsync(string key, CancellationToken ct)
    {
        var id = history.NextId();
        var start = clock.Now;
        if (Pick() is not { } silo) return Record(new ReadOp(id, Name, key, "rest (no silo)", start, clock.Now, 0, Outcome.Failed, [], null, "no silo to send to"));
        try
        {
            using var response = await http.GetAsync($"{silo.Address}{Path(key)}?n=3&r=2", ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            var context = response.Headers.TryGetValues(ContextHeader, out var c) ? c.FirstOrDefault() : null;
            var status = (int)response.StatusCode;
            var end = clock.Now;
            return Record(response.StatusCode switch
            {
                HttpStatusCode.OK => new ReadOp(id, Name, key, Via(silo), start, end, status, Outcome.Ok, [body], context, ""),
                HttpStatusCode.MultipleChoices => new ReadOp(id, Name, key, Via(silo), start, end, status, Outcome.Ok, Siblings(body), context, ""),
                HttpStatusCode.NotFound => new ReadOp(id, Name, key, Via(silo), start, end, status, Outcome.Ok, [], context, ""),
                _ => new ReadOp(id, Name, key, Via(silo), start, end, status, status < 500 ? Outcome.Failed : Outcome.Indeterminate, [], null, Cause(status, body)),
            });
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            var (outcome, cause) = Classify(ex);
            return Record(new ReadOp(id, Name, key, Via(silo), start, clock.Now, 0, outcome, [], null, cause));
        }
    }

    public async Task<WriteOp> WriteAsync(string key, string value, ReadOp? read, CancellationToken ct)
    {
        var id = history.NextId();
        var start = clock.Now;
        var context = read?.Context;
        if (Pick() is not { } silo)
            return Record(new WriteOp(id, Name, key, "rest (no silo)", start, clock.Now, value, read?.Id, context, 0, Outcome.Failed, "no silo to send to"));
        using var request = new HttpRequestMessage(HttpMethod.Put, $"{silo.Address}{Path(key)}?n=3&w=2") { Content = new StringContent(value) };
        if (context is not null) request.Headers.Add(ContextHeader, context);
        try
        {
            using var response = await http.SendAsync(request, ct);
            var status = (int)response.StatusCode;
            var body = response.IsSuccessStatusCode ? "" : await response.Content.ReadAsStringAsync(ct);
            var outcome = response.IsSuccessStatusCode ? Outcome.Ok : status < 500 ? Outcome.Failed : Outcome.Indeterminate;
            return Record(new WriteOp(id, Name, key, Via(silo), start, clock.Now, value, read?.Id, context, status, outcome, outcome == Outcome.Ok ? "" : Cause(status, body)));
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            var (outcome, cause) = Classify(ex);
            return Record(new WriteOp(id, Name, key, Via(silo), start, clock.Now, value, read?.Id, context, 0, outcome, cause));
        }
    }

    private static string Via((string Id, string Address) silo) => "rest " + silo.Id;

    private ReadOp Record(ReadOp op)
    {
        history.Add(op);
        return op;
    }

    private WriteOp Record(WriteOp op)
    {
        history.Add(op);
        return op;
    }

    /// <summary>A refused connection reached nothing (the silo is down); any other transport failure may have reached the silo.</summary>
    private static (Outcome, string) Classify(Exception ex) => ex switch
    {
        HttpRequestException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionRefused } } => (Outcome.Failed, "connection refused"),
        TaskCanceledException => (Outcome.Indeterminate, "timeout (10 s)"),
        HttpRequestException h => (Outcome.Indeterminate, "connection: " + (h.HttpRequestError.ToString())),
        _ => (Outcome.Indeterminate, ex.GetType().Name),
    };

    /// <summary>"503 QuorumNotReached": the status and the error code of the JSON answer.</summary>
    public static string Cause(int status, string body)
    {
        var code = "";
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.TryGetProperty("error", out var e)) code = e.GetString() ?? "";
        }
        catch (JsonException)
        {
        }
        return $"{status.ToString(CultureInfo.InvariantCulture)} {code}".TrimEnd();
    }

    /// <summary>Every sibling's value in a 300's JSON list.</summary>
    private static List<string> Siblings(string body)
    {
        using var doc = JsonDocument.Parse(body);
        var values = new List<string>();
        foreach (var item in doc.RootElement.EnumerateArray())
            values.Add(item.TryGetProperty("value", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "<not text: " + item.GetRawText() + ">");
        return values;
    }
}
