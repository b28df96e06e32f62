using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Comet.Gateway.Tests.Support;

/// <summary>Requests and assertions on the REST contract (README.md, "REST gateway").</summary>
public static class RestCalls
{
    /// <summary>The path of a key; the key is percent-encoded as one segment ('/' becomes %2F).</summary>
    public static string KeyPath(string ns, string key, string query = "") =>
        $"/v1/{ns}/keys/{Uri.EscapeDataString(key)}{(query.Length > 0 ? "?" + query : "")}";

    public static string HistoryPath(string ns, string key) => $"/v1/{ns}/keys/{Uri.EscapeDataString(key)}/history";

    public static StringContent Text(string value) => new(value, Encoding.UTF8, "text/plain");

    public static ByteArrayContent Lua(string code)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(code));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-lua");
        return content;
    }

    /// <summary>Sends a request, with an API key as <c>Authorization: Bearer</c> (or in <paramref name="keyHeader"/>) when one is given.</summary>
    public static async Task<HttpResponseMessage> SendAsync(this HttpClient http, HttpMethod method, string path, string? apiKey = null,
        HttpContent? content = null, string keyHeader = "Authorization", IDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (apiKey is not null)
        {
            if (keyHeader == "Authorization") request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + apiKey);
            else request.Headers.TryAddWithoutValidation(keyHeader, apiKey);
        }
        if (headers is not null) foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        var response = await http.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    public static Task<HttpResponseMessage> PutAsync(this HttpClient http, string ns, string key, string value, string? apiKey = null, string query = "") =>
        http.SendAsync(HttpMethod.Put, KeyPath(ns, key, query), apiKey, Text(value));

    public static Task<HttpResponseMessage> PutAsoAsync(this HttpClient http, string ns, string key, string code, string? apiKey = null, string query = "") =>
        http.SendAsync(HttpMethod.Put, KeyPath(ns, key, query), apiKey, Lua(code));

    public static Task<HttpResponseMessage> GetAsync(this HttpClient http, string ns, string key, string? apiKey = null, string query = "") =>
        http.SendAsync(HttpMethod.Get, KeyPath(ns, key, query), apiKey);

    public static Task<HttpResponseMessage> DeleteAsync(this HttpClient http, string ns, string key, string? apiKey = null, string query = "") =>
        http.SendAsync(HttpMethod.Delete, KeyPath(ns, key, query), apiKey);

    /// <summary>The value stored under a key as text, or null when the key is absent (404).</summary>
    public static async Task<string?> ReadAsync(this HttpClient http, string ns, string key, string? apiKey = null)
    {
        using var response = await http.GetAsync(ns, key, apiKey);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        await ExpectAsync(response, HttpStatusCode.OK);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>Asserts the status, showing the body when it differs.</summary>
    public static async Task ExpectAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        if (response.StatusCode != status)
            Assert.Fail($"expected {(int)status} {status}, got {(int)response.StatusCode} {response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>The JSON error answer: <c>{"error": code, "message": ...}</c>.</summary>
    public static async Task<(string Error, string Message)> ErrorOf(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(body);
        return (json.RootElement.GetProperty("error").GetString()!, json.RootElement.GetProperty("message").GetString()!);
    }

    /// <summary>Asserts a documented error: the status, the JSON error code and a message that says something.</summary>
    public static async Task<string> ExpectErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        await ExpectAsync(response, status);
        var (error, message) = await ErrorOf(response);
        Assert.Equal(code, error);
        Assert.False(string.IsNullOrWhiteSpace(message), "the error has no message");
        return message;
    }
}
