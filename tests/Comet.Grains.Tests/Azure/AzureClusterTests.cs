using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Comet.Tests.Shared;
using Xunit.Abstractions;

namespace Comet.Grains.Tests.Azure;

/// <summary>
/// Silos whose membership, replicas and reminders live in Azure Table storage (Azurite), through
/// Orleans's own Azure providers: objects survive a silo's stop and a full cluster restart.
/// Azurite manages ~1.4k requests/s here, so the data stays small. Each test's tables carry their own prefix.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzureClusterTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    private Dictionary<string, string?> Configuration(string prefix) => new()
    {
        ["Comet:Storage:Provider"] = "azure",
        ["Comet:Storage:AzureConnectionString"] = azurite.ConnectionString,
        ["Comet:Storage:AzureTableNamePrefix"] = prefix,
    };

    private static StringContent Lua(string code)
    {
        var content = new StringContent(code, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-lua");
        return content;
    }

    [Fact]
    public async Task Objects_written_on_Azure_tables_survive_a_silo_stop_and_a_full_cluster_restart()
    {
        var prefix = "c" + Guid.NewGuid().ToString("N")[..12];
        var started = Stopwatch.StartNew();
        var cluster = await SiloCluster.StartAsync(3, Configuration(prefix));
        output.WriteLine($"3 silos on Azurite up in {started.ElapsedMilliseconds} ms (tables {prefix}*)");
        var clusterId = cluster.ClusterId;
        try
        {
            using var http = new HttpClient { BaseAddress = cluster.Http(0) };
            Assert.Equal(HttpStatusCode.Created, (await http.PutAsync("/v1/default/keys/plain", new StringContent("on azure"))).StatusCode);
            const string counter = """
                aso.gets = 0
                function aso:onGet(caller) self.gets = self.gets + 1; return self.gets end
                """;
            Assert.Equal(HttpStatusCode.Created, (await http.PutAsync("/v1/default/keys/counter?w=3", Lua(counter))).StatusCode);

            // One silo leaves; the others serve every object from the tables.
            await cluster.StopSiloAsync(cluster.Silos[2]);
            using var other = new HttpClient { BaseAddress = cluster.Http(1) };
            Assert.Equal("on azure", await other.GetStringAsync("/v1/default/keys/plain"));
            Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/v1/default/keys/counter")).StatusCode);
        }
        finally
        {
            await cluster.DisposeAsync();
        }

        // A new cluster on the same tables has everything back.
        started.Restart();
        var configuration = Configuration(prefix);
        configuration["Comet:Silo:ClusterId"] = clusterId;
        await using var restarted = await SiloCluster.StartAsync(2, configuration);
        output.WriteLine($"restarted on the same tables in {started.ElapsedMilliseconds} ms");
        using var again = new HttpClient { BaseAddress = restarted.Http(0) };
        Assert.Equal("on azure", await again.GetStringAsync("/v1/default/keys/plain"));
        var history = await again.GetStringAsync("/v1/default/keys/counter/history");
        Assert.Contains("\"kind\":\"aso\"", history, StringComparison.Ordinal);
    }
}
