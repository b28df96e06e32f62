using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Comet.Admin.Api;
using Comet.Grid.Hosting;

namespace Comet.Admin.Tests;

/// <summary>
/// A real 3-silo <see cref="TestCluster"/> on loopback with the admin API on every silo's HTTP
/// port and an admin key configured, as in production. Tests talk to it over real HTTP.
/// </summary>
public sealed class AdminClusterFixture : IAsyncLifetime
{
    public const string AdminKey = "test-admin-key-3f9c";

    public TestCluster Cluster { get; private set; } = null!;

    /// <summary>Sends the admin key on every request.</summary>
    public HttpClient Admin { get; } = NewClient(AdminKey);

    /// <summary>Sends no key (REST gateway calls, and refusal tests).</summary>
    public HttpClient Http { get; } = NewClient(null);

    public async Task InitializeAsync() => Cluster = await StartClusterAsync(AdminKey);

    public async Task DisposeAsync()
    {
        Admin.Dispose();
        Http.Dispose();
        await Cluster.DisposeAsync();
    }

    /// <summary>A cluster whose silos serve the admin API; <paramref name="stopSilo"/> is how a stop request stops a silo.</summary>
    public static Task<TestCluster> StartClusterAsync(string? adminKey, int silos = 3, Func<Silo, Task>? stopSilo = null) =>
        TestCluster.StartAsync(new TestClusterOptions
        {
            InitialSilosCount = silos,
            ConfigureSilo = o => o.Admin.Key = adminKey,
            ConfigureHttp = (app, silo) => app.MapCometAdmin(silo, new AdminHostOptions { StopSilo = stopSilo }),
        });

    public static HttpClient NewClient(string? adminKey)
    {
        var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };
        if (adminKey is not null) client.DefaultRequestHeaders.Add(AdminKeyGuard.HeaderName, adminKey);
        return client;
    }

    public string Url(int silo, string path) => Cluster.Silos[silo].HttpAddress + path;

    public static string KeyUrl(Silo silo, string key, string query = "", string ns = "default") =>
        $"{silo.HttpAddress}/v1/{ns}/keys/{Uri.EscapeDataString(key)}{(query.Length > 0 ? "?" + query : "")}";

    public async Task<T> GetAsync<T>(int silo, string path)
    {
        using var response = await Admin.GetAsync(Url(silo, path));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path} on silo {silo}: {(int)response.StatusCode} {body}");
        return JsonSerializer.Deserialize<T>(body, AdminJson.Options)!;
    }

    /// <summary>Puts a passive value through the REST gateway; returns the version.</summary>
    public async Task<string> PutAsync(string key, string value, int silo = 0, string query = "w=3")
    {
        using var response = await Http.PutAsync(KeyUrl(Cluster.Silos[silo], key, query), new StringContent(value, Encoding.UTF8, "text/plain"));
        return await VersionOf(response);
    }

    /// <summary>Puts an ASO through the REST gateway; returns the version.</summary>
    public async Task<string> PutAsoAsync(string key, string lua, int silo = 0, string query = "w=3")
    {
        using var content = new StringContent(lua, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-lua");
        using var response = await Http.PutAsync(KeyUrl(Cluster.Silos[silo], key, query), content);
        return await VersionOf(response);
    }

    private static async Task<string> VersionOf(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"PUT: {(int)response.StatusCode} {body}");
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("version").GetString()!;
    }

    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("Never happened: " + what);
            await Task.Delay(100);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class AdminClusterCollection : ICollectionFixture<AdminClusterFixture>
{
    public const string Name = "admin cluster";
}
