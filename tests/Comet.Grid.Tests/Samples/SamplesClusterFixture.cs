using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Comet.Abstractions.Keys;
using Comet.Client;
using Comet.Grid.Hosting;

namespace Comet.Grid.Tests.Samples;

/// <summary>One 3-silo cluster and one SDK client shared by every sample test (each test uses its own keys).</summary>
public sealed class SamplesClusterFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;

    public CometClient Client { get; private set; } = null!;

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public async Task InitializeAsync()
    {
        Cluster = await TestCluster.StartAsync(new TestClusterOptions { InitialSilosCount = 3 });
        Client = await CometClient.ConnectAsync(new CometClientOptions { Gateways = [$"127.0.0.1:{Cluster.Silos[0].GatewayPort}"] });
    }

    public async Task DisposeAsync()
    {
        await Client.DisposeAsync();
        Http.Dispose();
        await Cluster.DisposeAsync();
    }

    /// <summary>A key no other test (or earlier run against the same store) uses.</summary>
    public static string Key(string name) => $"sample-{name}-{Guid.NewGuid():N}";

    /// <summary>The source of samples/asos/&lt;name&gt;.lua, found by walking up from the test binaries.</summary>
    public static string Code(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "samples", "asos", name + ".lua");
            if (File.Exists(path)) return File.ReadAllText(path);
        }
        throw new FileNotFoundException($"samples/asos/{name}.lua not found above {AppContext.BaseDirectory}");
    }

    public string Url(string key, int silo = 0) => $"{Cluster.Silos[silo].HttpAddress}/v1/default/keys/{Uri.EscapeDataString(key)}";

    public Task<HttpResponseMessage> RestPutAsoAsync(string key, string lua)
    {
        var content = new StringContent(lua, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-lua");
        return Http.PutAsync(Url(key), content);
    }

    /// <summary>Every silo's view of one key: silo id → the live ASO's data (silos without a live copy are left out).</summary>
    public async Task<Dictionary<string, JsonElement>> ReplicaDataAsync(string key)
    {
        var result = new Dictionary<string, JsonElement>();
        foreach (var silo in Cluster.Silos)
        {
            var inspection = await silo.Catalog.InspectAsync(ObjectKey.Create("default", key), CancellationToken.None);
            if (inspection.Live.Count == 0 || inspection.Live[0].Kind != Comet.Abstractions.Protocol.ObjectKind.Aso) continue;
            using var doc = JsonDocument.Parse(inspection.Live[0].Data);
            result[silo.Id] = doc.RootElement.Clone();
        }
        return result;
    }

    /// <summary>Polls until <paramref name="condition"/> holds; the assertion is on the outcome, the deadline only bounds the wait.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("Never happened: " + what);
            await Task.Delay(100);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class SamplesCollection : ICollectionFixture<SamplesClusterFixture>
{
    public const string Name = "samples on a 3-silo cluster";
}
