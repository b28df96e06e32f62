using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Comet.Abstractions.Keys;
using Comet.Grid.Hosting;
using Comet.Storage.Sqlite;

namespace Comet.Grid.Tests.Cluster;

public class ActivationTests
{
    private static StringContent Lua(string code)
    {
        var content = new StringContent(code, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-lua");
        return content;
    }

    private const string Counter = """
        aso.count = 0
        function aso:onGet(caller)
          self.count = self.count + 1
          return self.count
        end
        """;

    [Fact]
    public async Task Idle_activations_are_deactivated_and_reactivate_with_their_replica_local_state()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions
        {
            ConfigureSilo = o =>
            {
                o.IdleActivationAge = TimeSpan.FromMilliseconds(300);
                o.CollectionPeriod = TimeSpan.FromMilliseconds(100);
            },
        });
        using var http = new HttpClient();
        var url = $"{cluster.Silos[0].HttpAddress}/v1/default/keys/idle-counter";
        Assert.Equal(HttpStatusCode.Created, (await http.PutAsync(url, Lua(Counter))).StatusCode);
        Assert.Equal("1", await http.GetStringAsync(url + "?r=3"));
        Assert.Equal("2", await http.GetStringAsync(url + "?r=3"));
        var key = ObjectKey.Create("default", "idle-counter");

        await ClusterFixture.EventuallyAsync(() => Task.FromResult(cluster.Silos.All(s => s.Catalog.Activations.All(g => g.Key != key))),
            "every replica deactivated");
        Assert.Equal("3", await http.GetStringAsync(url + "?r=3"));
    }

    [Fact]
    public async Task A_cluster_on_a_sqlite_file_keeps_values_asos_and_their_state_across_a_full_restart()
    {
        var dir = Directory.CreateTempSubdirectory("comet-grid-");
        try
        {
            var file = Path.Combine(dir.FullName, "comet.db");
            var options = new TestClusterOptions { Storage = () => new SqliteStorageProvider(new SqliteStorageOptions { DataSource = file }) };
            using var http = new HttpClient();
            await using (var cluster = await TestCluster.StartAsync(options))
            {
                var baseUrl = $"{cluster.Silos[0].HttpAddress}/v1/default/keys";
                Assert.Equal(HttpStatusCode.Created, (await http.PutAsync($"{baseUrl}/sq-value", new StringContent("durable"))).StatusCode);
                Assert.Equal(HttpStatusCode.Created, (await http.PutAsync($"{baseUrl}/sq-counter", Lua(Counter))).StatusCode);
                Assert.Equal("1", await http.GetStringAsync($"{baseUrl}/sq-counter?r=3"));
            }
            await using (var cluster = await TestCluster.StartAsync(options))
            {
                var baseUrl = $"{cluster.Silos[1].HttpAddress}/v1/default/keys";
                Assert.Equal("durable", await http.GetStringAsync($"{baseUrl}/sq-value"));
                Assert.Equal("2", await http.GetStringAsync($"{baseUrl}/sq-counter?r=3"));
                var history = JsonDocument.Parse(await http.GetStringAsync($"{baseUrl}/sq-value/history"));
                Assert.Single(history.RootElement.GetProperty("versions").EnumerateArray());
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
