using System.Net.Http.Headers;
using System.Text;
using Comet.Grid.Hosting;

namespace Comet.Grid.Tests.Cluster;

/// <summary>One 3-silo cluster shared by the tests of a class (each test uses its own keys).</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public async Task InitializeAsync() => Cluster = await TestCluster.StartAsync(new TestClusterOptions { InitialSilosCount = 3 });

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Cluster.DisposeAsync();
    }

    public string Url(string key, string query = "", int silo = 0, string ns = "default") =>
        $"{Cluster.Silos[silo].HttpAddress}/v1/{ns}/keys/{Uri.EscapeDataString(key)}{(query.Length > 0 ? "?" + query : "")}";

    public Task<HttpResponseMessage> PutAsync(string key, string value, string query = "", int silo = 0) =>
        Http.PutAsync(Url(key, query, silo), new StringContent(value, Encoding.UTF8, "text/plain"));

    public Task<HttpResponseMessage> PutAsoAsync(string key, string lua, string query = "", int silo = 0)
    {
        var content = new StringContent(lua, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-lua");
        return Http.PutAsync(Url(key, query, silo), content);
    }

    public Task<HttpResponseMessage> GetAsync(string key, string query = "", int silo = 0) => Http.GetAsync(Url(key, query, silo));

    /// <summary>Polls until <paramref name="condition"/> holds (no fixed sleeps: the tests assert outcomes, not timings).</summary>
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
