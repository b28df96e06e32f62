using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Comet.Admin.Api;
using Comet.Silo;
using Comet.Tests.Shared;

namespace Comet.Admin.Tests;

/// <summary>
/// Three real silos in this process (<see cref="SiloCluster"/>: Orleans, REST, admin API and both
/// dashboards on free loopback ports, one SQLite file) with an admin key configured, as in
/// production, and a namespace <c>secure</c> that needs an API key. Tests talk to it over HTTP.
/// </summary>
public sealed class AdminClusterFixture : IAsyncLifetime
{
    public const string AdminKey = "test-admin-key-3f9c";

    /// <summary>A namespace without anonymous access (API key tests).</summary>
    public const string SecureNamespace = "secure";

    public SiloCluster Cluster { get; private set; } = null!;

    /// <summary>Sends the admin key on every request.</summary>
    public HttpClient Admin { get; } = NewClient(AdminKey);

    /// <summary>Sends no key (REST gateway calls, and refusal tests).</summary>
    public HttpClient Http { get; } = NewClient(null);

    public async Task InitializeAsync() => Cluster = await StartClusterAsync(AdminKey);

    public async Task DisposeAsync()
    {
        Admin.Dispose();
        Http.Dispose();
        if (Cluster is not null) await Cluster.DisposeAsync();
    }

    /// <summary>A cluster of real silos with the admin API; <paramref name="adminKey"/> null leaves only dev mode's loopback access.</summary>
    public static Task<SiloCluster> StartClusterAsync(string? adminKey, int silos = 3, bool devMode = true)
    {
        var configuration = new Dictionary<string, string?>
        {
            ["Comet:Silo:DevMode"] = devMode ? "true" : "false",
            [$"Comet:Silo:Namespaces:{SecureNamespace}:N"] = "3",
        };
        if (adminKey is not null) configuration["Comet:Silo:Admin:Key"] = adminKey;
        return SiloCluster.StartAsync(silos, configuration);
    }

    public static HttpClient NewClient(string? adminKey)
    {
        var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(60) };
        if (adminKey is not null) client.DefaultRequestHeaders.Add(AdminKeyGuard.HeaderName, adminKey);
        return client;
    }

    public CometSilo Silo(int index) => Cluster.Silos[index];

    public string Url(int silo, string path) => Cluster.Http(silo).ToString().TrimEnd('/') + path;

    public static string KeyUrl(CometSilo silo, string key, string query = "", string ns = "default") =>
        $"{silo.HttpAddress}/v1/{ns}/keys/{Uri.EscapeDataString(key)}{(query.Length > 0 ? "?" + query : "")}";

    public async Task<T> GetAsync<T>(int silo, string path) => await GetAsync<T>(Admin, Url(silo, path));

    public static async Task<T> GetAsync<T>(HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {url}: {(int)response.StatusCode} {body}");
        return JsonSerializer.Deserialize<T>(body, AdminJson.Options)!;
    }

    /// <summary>Puts a passive value through the REST gateway; returns the version.</summary>
    public async Task<string> PutAsync(string key, string value, int silo = 0, string query = "w=3") =>
        await PutAsync(Http, Silo(silo), key, value, query);

    public static async Task<string> PutAsync(HttpClient client, CometSilo silo, string key, string value, string query = "w=3")
    {
        using var response = await client.PutAsync(KeyUrl(silo, key, query), new StringContent(value, Encoding.UTF8, "text/plain"));
        return await VersionOf(response);
    }

    /// <summary>Puts an ASO through the REST gateway; returns the version.</summary>
    public async Task<string> PutAsoAsync(string key, string lua, int silo = 0, string query = "w=3")
    {
        using var content = new StringContent(lua, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-lua");
        using var response = await Http.PutAsync(KeyUrl(Silo(silo), key, query), content);
        return await VersionOf(response);
    }

    private static async Task<string> VersionOf(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"PUT: {(int)response.StatusCode} {body}");
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("version").GetString()!;
    }

    public static string NewKey(string prefix) => $"{prefix}-{Guid.NewGuid():N}";
}

[CollectionDefinition(Name)]
public sealed class AdminClusterCollection : ICollectionFixture<AdminClusterFixture>
{
    public const string Name = "admin cluster";
}
