using Comet.Abstractions.Versions;
using Comet.Abstractions.Options;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Comet.Admin;
using Comet.Client;
using Comet.Grid.Hosting;

namespace Comet.Security.Tests;

/// <summary>
/// A real 3-silo cluster on loopback in dev mode with the admin API, an admin key, and two namespaces that need
/// API keys (<c>alpha</c>, <c>beta</c>) beside the open <c>default</c>. Keys are created through the admin API.
/// </summary>
public sealed class SecureClusterFixture : IAsyncLifetime
{
    public const string AdminKey = "security-tests-admin-key";

    public TestCluster Cluster { get; private set; } = null!;

    public HttpClient Http { get; } = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };

    public async Task InitializeAsync() => Cluster = await TestCluster.StartAsync(new TestClusterOptions
    {
        InitialSilosCount = 3,
        ConfigureSilo = o =>
        {
            o.Admin.Key = AdminKey;
            o.Namespaces["alpha"] = new NamespaceOptions();
            o.Namespaces["beta"] = new NamespaceOptions();
            o.Security.KeyRefreshPeriod = TimeSpan.FromMilliseconds(200);
        },
        ConfigureHttp = (app, silo) => app.MapCometAdmin(silo),
    });

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Cluster.DisposeAsync();
    }

    public string KeyUrl(string ns, string key, int silo = 0) =>
        $"{Cluster.Silos[silo].HttpAddress}/v1/{ns}/keys/{Uri.EscapeDataString(key)}";

    /// <summary>Creates an API key through the admin API and returns its full text.</summary>
    public async Task<(string Id, string Key)> CreateKeyAsync(string ns, int silo = 0)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{Cluster.Silos[silo].HttpAddress}/admin/namespaces/{ns}/keys");
        request.Headers.Add(AdminKeyGuard.HeaderName, AdminKey);
        request.Content = JsonContent.Create(new { name = "tests" });
        using var response = await Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"creating a key: {(int)response.StatusCode} {body}");
        using var json = JsonDocument.Parse(body);
        return (json.RootElement.GetProperty("id").GetString()!, json.RootElement.GetProperty("key").GetString()!);
    }

    public async Task RevokeKeyAsync(string ns, string id, int silo = 0)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"{Cluster.Silos[silo].HttpAddress}/admin/namespaces/{ns}/keys/{id}");
        request.Headers.Add(AdminKeyGuard.HeaderName, AdminKey);
        using var response = await Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, string? apiKey, string? body = null, string keyHeader = "Authorization")
    {
        using var request = new HttpRequestMessage(method, url);
        if (apiKey is not null)
        {
            if (keyHeader == "Authorization") request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + apiKey);
            else request.Headers.TryAddWithoutValidation(keyHeader, apiKey);
        }
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "text/plain");
        return await Http.SendAsync(request);
    }

    /// <summary>The value stored under a key, read with a key that may read it (null when absent).</summary>
    public async Task<string?> ReadAsync(string ns, string key, string apiKey)
    {
        using var response = await SendAsync(HttpMethod.Get, KeyUrl(ns, key), apiKey);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    public Task<CometClient> ConnectClientAsync(string? apiKey, string ns = "default") =>
        CometClient.ConnectAsync(new CometClientOptions
        {
            Gateways = [$"127.0.0.1:{Cluster.Silos[0].GatewayPort}"],
            ApiKey = apiKey,
            DefaultNamespace = ns,
        });

    /// <summary>Polls until <paramref name="condition"/> holds (no fixed sleeps).</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("Never happened: " + what);
            await Task.Delay(50);
        }
    }
}
