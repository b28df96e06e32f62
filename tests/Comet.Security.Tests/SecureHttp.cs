using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Comet.Admin;
using Comet.Grid.Hosting;

namespace Comet.Security.Tests;

/// <summary>An HTTP client for tests against one-off clusters: key creation through the admin API and keyed requests.</summary>
public sealed class SecureHttp : IDisposable
{
    public HttpClient Http { get; } = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };

    public async Task<string> CreateKeyAsync(Silo silo, string ns)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{silo.HttpAddress}/admin/namespaces/{ns}/keys");
        request.Headers.Add(AdminKeyGuard.HeaderName, SecureClusterFixture.AdminKey);
        using var response = await Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("key").GetString()!;
    }

    public Task<HttpResponseMessage> PutAsync(Silo silo, string ns, string key, string value, string? apiKey, string query = "")
    {
        var request = new HttpRequestMessage(HttpMethod.Put, $"{silo.HttpAddress}/v1/{ns}/keys/{key}{(query.Length > 0 ? "?" + query : "")}")
        {
            Content = new StringContent(value, Encoding.UTF8, "text/plain"),
        };
        if (apiKey is not null) request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + apiKey);
        return SendDisposingAsync(request);
    }

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, string? apiKey)
    {
        var request = new HttpRequestMessage(method, url);
        if (apiKey is not null) request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + apiKey);
        return SendDisposingAsync(request);
    }

    private async Task<HttpResponseMessage> SendDisposingAsync(HttpRequestMessage request)
    {
        using (request)
        {
            var response = await Http.SendAsync(request);
            await response.Content.LoadIntoBufferAsync();
            return response;
        }
    }

    public void Dispose() => Http.Dispose();
}
