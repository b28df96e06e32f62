using System.Net;
using System.Text.Json;

namespace Comet.Cluster.Tests.Processes;

/// <summary>What a PUT came back with: acknowledged (2xx) or not, and why not.</summary>
internal sealed record PutOutcome(bool Acknowledged, string? Context, string Failure);

/// <summary>What a GET came back with: the status (0 when no answer came) and every value it carried.</summary>
internal sealed record GetOutcome(int Status, IReadOnlyList<string> Values, string Failure)
{
    /// <summary>The value alone (200) or among siblings (300).</summary>
    public bool Holds(string value) => (Status is 200 or 300) && Values.Contains(value);
}

/// <summary>The REST gateway's key/value contract, as any client calls it: PUT and GET in the <c>default</c> namespace.</summary>
internal static class KeyValueRest
{
    public const string ContextHeader = "X-Comet-Context";

    public static HttpClient CreateClient() => new(new SocketsHttpHandler
    {
        // A killed silo refuses at once; a frozen one accepts the connection and never answers: the request timeout ends that.
        ConnectTimeout = TimeSpan.FromSeconds(3),
        PooledConnectionLifetime = TimeSpan.FromSeconds(30),
        MaxConnectionsPerServer = 64,
    })
    {
        Timeout = TimeSpan.FromSeconds(15),
    };

    public static string KeyPath(string key) => "/v1/default/keys/" + Uri.EscapeDataString(key);

    public static async Task<PutOutcome> PutAsync(HttpClient http, string silo, string key, string value, int w = 2, string? context = null, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"{silo}{KeyPath(key)}?n=3&w={w}") { Content = new StringContent(value) };
        if (context is not null) request.Headers.Add(ContextHeader, context);
        try
        {
            using var response = await http.SendAsync(request, ct);
            if (response.IsSuccessStatusCode)
                return new PutOutcome(true, response.Headers.TryGetValues(ContextHeader, out var c) ? c.FirstOrDefault() : null, "");
            return new PutOutcome(false, null, $"{(int)response.StatusCode} {Trim(await response.Content.ReadAsStringAsync(ct))}");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return new PutOutcome(false, null, ex.GetType().Name + ": " + Trim(ex.Message));
        }
    }

    public static async Task<GetOutcome> GetAsync(HttpClient http, string silo, string key, int r = 2, CancellationToken ct = default)
    {
        try
        {
            using var response = await http.GetAsync($"{silo}{KeyPath(key)}?n=3&r={r}", ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            return response.StatusCode switch
            {
                HttpStatusCode.OK => new GetOutcome(200, [body], ""),
                HttpStatusCode.MultipleChoices => new GetOutcome(300, Siblings(body), ""),
                _ => new GetOutcome((int)response.StatusCode, [], $"{(int)response.StatusCode} {Trim(body)}"),
            };
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return new GetOutcome(0, [], ex.GetType().Name + ": " + Trim(ex.Message));
        }
    }

    /// <summary>Every sibling's value in a 300's JSON list.</summary>
    private static List<string> Siblings(string body)
    {
        using var doc = JsonDocument.Parse(body);
        var values = new List<string>();
        foreach (var item in doc.RootElement.EnumerateArray())
            if (item.TryGetProperty("value", out var v) && v.ValueKind == JsonValueKind.String) values.Add(v.GetString()!);
        return values;
    }

    private static string Trim(string text) => text.Length <= 200 ? text : text[..200] + "...";
}
