using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Comet.Grid.Hosting;
using Comet.Grid.Tests.Samples;
using Comet.Storage.Azure;
using Comet.Storage.Tests.Azure;
using Xunit.Abstractions;

namespace Comet.Grid.Tests.Azure;

/// <summary>
/// A 3-silo TestCluster whose replicas, versions, hints, timers and membership live in Azure
/// Table storage (Azurite): the end-to-end ASO behaviour and the kill-a-silo test. Azurite manages
/// ~1.4k requests/s here, so the data stays small. Each test's tables carry their own prefix.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzureClusterTests(AzuriteFixture azurite, ITestOutputHelper output) : IAsyncLifetime
{
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private TestCluster cluster = null!;

    public async Task InitializeAsync()
    {
        var prefix = "c" + Guid.NewGuid().ToString("N")[..12];
        var started = System.Diagnostics.Stopwatch.StartNew();
        cluster = await TestCluster.StartAsync(new TestClusterOptions
        {
            InitialSilosCount = 3,
            Storage = () => new AzureTableStorageProvider(new AzureTableStorageOptions { ConnectionString = azurite.ConnectionString, TableNamePrefix = prefix }),
        });
        output.WriteLine($"3 silos on Azurite up in {started.ElapsedMilliseconds} ms (tables {prefix}*)");
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await cluster.DisposeAsync();
    }

    private string Url(string key, string query = "", int silo = 0) =>
        $"{cluster.Silos[silo].HttpAddress}/v1/default/keys/{Uri.EscapeDataString(key)}{(query.Length > 0 ? "?" + query : "")}";

    private Task<HttpResponseMessage> PutAsoAsync(string key, string lua, string query = "", int silo = 0)
    {
        var content = new StringContent(lua, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-lua");
        return http.PutAsync(Url(key, query, silo), content);
    }

    [Fact]
    public async Task An_aso_is_stored_and_answers_gets_through_onGet_with_its_replica_state_persisted()
    {
        var put = await PutAsoAsync("az-hello", """
            aso.value = "Hello world!"
            aso.getCount = 0
            function aso:onGet(caller)
              self.getCount = self.getCount + 1
              return {self.value, self.getCount}
            end
            """);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);

        var first = await http.GetAsync(Url("az-hello", "r=1", silo: 1));
        var second = await http.GetAsync(Url("az-hello", "r=1", silo: 1));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using var one = JsonDocument.Parse(await first.Content.ReadAsStringAsync());
        using var two = JsonDocument.Parse(await second.Content.ReadAsStringAsync());
        Assert.Equal("Hello world!", one.RootElement[0].GetString());
        // r=1: each get runs onGet on one replica, whose counter is replica-local state persisted in Azure.
        Assert.InRange(one.RootElement[1].GetInt32(), 1, 1);
        Assert.InRange(two.RootElement[1].GetInt32(), 1, 2);
    }

    [Fact]
    public async Task onUpdate_rejects_a_put_without_the_password_and_accepts_one_with_it()
    {
        const string Guarded = """
            aso.value = "v1"
            function aso:onUpdate(caller, incoming) return caller.args ~= nil and caller.args.password == "pw" end
            """;
        Assert.Equal(HttpStatusCode.Created, (await PutAsoAsync("az-guarded", Guarded)).StatusCode);

        var refused = await http.PutAsync(Url("az-guarded"), new StringContent("intruder"));
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal("\"v1\"", await http.GetStringAsync(Url("az-guarded")));

        var args = "args=" + Uri.EscapeDataString("{\"password\":\"pw\"}");
        var accepted = await PutAsoAsync("az-guarded", Guarded.Replace("\"v1\"", "\"v2\"", StringComparison.Ordinal), args);
        Assert.True(accepted.IsSuccessStatusCode, $"{(int)accepted.StatusCode} {await accepted.Content.ReadAsStringAsync()}");
        Assert.Equal("\"v2\"", await http.GetStringAsync(Url("az-guarded", silo: 2)));
    }

    [Fact]
    public async Task A_self_deleting_one_time_value_is_read_once_then_404_on_every_silo()
    {
        Assert.Equal(HttpStatusCode.Created, (await PutAsoAsync("az-once", SamplesClusterFixture.Code("one_time_value"))).StatusCode);

        var first = await http.GetAsync(Url("az-once"));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("The eagle lands at midnight.", JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement.GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(Url("az-once"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(Url("az-once", silo: 2))).StatusCode);
    }

    [Fact]
    public async Task Killing_one_of_three_silos_loses_no_acknowledged_write_and_writes_and_reads_still_succeed()
    {
        // N=3, W=2, R=2 (the defaults): with one replica gone, two still make both quorums.
        var acknowledged = new Dictionary<string, string>();
        for (var i = 0; i < 10; i++)
        {
            var key = $"az-kill-before-{i}";
            var put = await http.PutAsync(Url(key, "n=3&w=2"), new StringContent("before " + i));
            Assert.True(put.IsSuccessStatusCode, $"{key}: {(int)put.StatusCode}");
            acknowledged[key] = "before " + i;
        }

        await cluster.KillSiloAsync(cluster.Silos[2]);

        for (var i = 0; i < 5; i++)
        {
            var key = $"az-kill-after-{i}";
            var put = await http.PutAsync(Url(key, "n=3&w=2"), new StringContent("after " + i));
            Assert.True(put.IsSuccessStatusCode, $"{key} after the kill: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
            acknowledged[key] = "after " + i;
        }
        foreach (var (key, value) in acknowledged)
        {
            var get = await http.GetAsync(Url(key, "r=2", silo: 1));
            Assert.True(get.StatusCode == HttpStatusCode.OK, $"{key}: {(int)get.StatusCode} {await get.Content.ReadAsStringAsync()}");
            Assert.Equal(value, await get.Content.ReadAsStringAsync());
        }
    }
}
