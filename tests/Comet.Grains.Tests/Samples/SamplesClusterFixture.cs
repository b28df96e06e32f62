using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Comet.Abstractions.Protocol;
using Comet.Client;
using Comet.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace Comet.Grains.Tests.Samples;

/// <summary>Three real silos (Orleans, REST) on one SQLite file and one SDK client shared by every sample test (each test uses its own keys).</summary>
public sealed class SamplesClusterFixture : IAsyncLifetime
{
    public SiloCluster Cluster { get; private set; } = null!;

    public CometClient Client { get; private set; } = null!;

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public async Task InitializeAsync()
    {
        Cluster = await SiloCluster.StartAsync(3);
        Client = await CometClient.ConnectAsync(new CometClientOptions { Gateways = [Cluster.Gateway(0)], ClusterId = Cluster.ClusterId });
    }

    public async Task DisposeAsync()
    {
        if (Client is not null) await Client.DisposeAsync();
        Http.Dispose();
        if (Cluster is not null) await Cluster.DisposeAsync();
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

    public string Url(string key, int silo = 0) => $"{Cluster.Http(silo)}v1/default/keys/{Uri.EscapeDataString(key)}";

    public Task<HttpResponseMessage> RestPutAsoAsync(string key, string lua)
    {
        var content = new StringContent(lua, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-lua");
        return Http.PutAsync(Url(key), content);
    }

    /// <summary>
    /// Every replica's view of one key: the silo it lives on → the live ASO's data (replicas
    /// without a live copy are left out). Replicas 0..4 cover the preference list and the spares.
    /// </summary>
    public async Task<Dictionary<string, JsonElement>> ReplicaDataAsync(string key)
    {
        var grains = Cluster.Silos[0].Services.GetRequiredService<IGrainFactory>();
        var result = new Dictionary<string, JsonElement>();
        for (var r = 0; r < 5; r++)
        {
            var inspection = await grains.GetGrain<IReplicaGrain>(ReplicaGrainKey.Format("default", key, r)).InspectAsync();
            if (inspection.Live.Count == 0 || inspection.Live[0].Kind != ObjectKind.Aso) continue;
            using var doc = JsonDocument.Parse(inspection.Live[0].Data);
            result.TryAdd(inspection.Silo, doc.RootElement.Clone());
        }
        return result;
    }

    /// <summary>Polls until <paramref name="condition"/> holds; the assertion is on the outcome, the deadline only bounds the wait.</summary>
    public static Task EventuallyAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null) =>
        SiloCluster.EventuallyAsync(condition, what, timeout ?? TimeSpan.FromSeconds(30));
}

[CollectionDefinition(Name)]
public sealed class SamplesCollection : ICollectionFixture<SamplesClusterFixture>
{
    public const string Name = "samples on a 3-silo cluster";
}
