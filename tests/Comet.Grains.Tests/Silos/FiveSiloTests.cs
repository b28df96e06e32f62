using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Comet.Abstractions.Protocol;
using Comet.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace Comet.Grains.Tests.Silos;

/// <summary>
/// Five real silos (N = 3 plus 2 spares): an object keeps exactly the copies it chose, whatever the namespace's N
/// and anti-entropy; an object may call only its key's neighbours; and a replica limits the neighbour calls it takes.
/// </summary>
public sealed class FiveSiloTests(FiveSiloFixture fixture) : IClassFixture<FiveSiloFixture>
{
    private SiloCluster Cluster => fixture.Cluster;

    private HttpClient Http => fixture.Http;

    [Fact]
    public async Task A_vanish_object_ends_with_exactly_the_copies_it_chose_and_none_on_the_spares()
    {
        var key = "vanish-" + Guid.NewGuid().ToString("N");
        var args = Uri.EscapeDataString(JsonSerializer.Serialize(new { value = "key share", copies = 2, period = 1 }));
        using (var put = await Http.PutAsync($"/v1/default/keys/{key}?n=1&w=1&args={args}", Lua(Samples.SamplesClusterFixture.Code("vanish"))))
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);

        HashSet<string> expected = [];
        await SiloCluster.EventuallyAsync(async () =>
        {
            var copies = await CopiesAsync(key);
            if (!copies.TryGetValue(Home(key), out var home) || home.GetProperty("pushes").GetInt32() < 1) return false;
            expected = home.GetProperty("chosen").EnumerateArray().Select(e => e.GetString()!).Append(Home(key)).ToHashSet();
            return copies.Keys.ToHashSet().SetEquals(expected);
        }, "the pushes reached the chosen silos", TimeSpan.FromSeconds(30));

        // Several anti-entropy rounds and reads later, still exactly those copies: nothing raised the object to N = 3.
        for (var i = 0; i < 5; i++)
        {
            using var other = new HttpClient { BaseAddress = Cluster.Http(i % 5) };
            using var get = await other.GetAsync($"/v1/default/keys/{key}");
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
        var final = await CopiesAsync(key);
        Assert.True(final.Keys.ToHashSet().SetEquals(expected), $"copies on [{string.Join(", ", final.Keys.Order())}], chosen [{string.Join(", ", expected.Order())}]");
    }

    [Fact]
    public async Task Neighbour_calls_to_a_silo_outside_the_keys_walk_are_refused()
    {
        var key = "walk-" + Guid.NewGuid().ToString("N");
        const string code = """
            function aso:onGet(caller)
              local a = caller.args or {}
              if not a.target then return {walk = comet.lookup()} end
              local getOk, getError = pcall(comet.get, comet.getASOKey(), {a.target})
              local putOk, putError = pcall(comet.put, comet.getASOKey(), {probe = true}, {a.target})
              return {getOk = getOk, getError = tostring(getError), putOk = putOk, putError = tostring(putError)}
            end
            """;
        using (var put = await Http.PutAsync($"/v1/default/keys/{key}?n=1&w=1", Lua(code)))
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        using var walkDoc = JsonDocument.Parse(await Http.GetStringAsync($"/v1/default/keys/{key}"));
        var walk = walkDoc.RootElement.GetProperty("walk").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Equal(3, walk.Count); // n = 1 plus 2 spares
        var strangers = Cluster.Silos.Select(s => s.Settings.SiloId).Where(n => !walk.Contains(n)).ToList();
        Assert.Equal(2, strangers.Count);
        foreach (var stranger in strangers)
        {
            var args = Uri.EscapeDataString(JsonSerializer.Serialize(new { target = stranger }));
            using var answer = await Http.GetAsync($"/v1/default/keys/{key}?args={args}");
            var body = await answer.Content.ReadAsStringAsync();
            Assert.True(answer.StatusCode == HttpStatusCode.OK, body);
            using var doc = JsonDocument.Parse(body);
            Assert.False(doc.RootElement.GetProperty("getOk").GetBoolean());
            Assert.Contains("is not one of this key's neighbours", doc.RootElement.GetProperty("getError").GetString(), StringComparison.Ordinal);
            Assert.False(doc.RootElement.GetProperty("putOk").GetBoolean());
            Assert.Contains("is not one of this key's neighbours", doc.RootElement.GetProperty("putError").GetString(), StringComparison.Ordinal);
        }
        // Nothing reached the strangers.
        Assert.DoesNotContain((await CopiesAsync(key)).Keys, strangers.Contains);
    }

    [Fact]
    public async Task A_replica_takes_at_most_its_limit_of_neighbour_calls_per_second_whoever_sends_them()
    {
        var key = "incoming-" + Guid.NewGuid().ToString("N");
        // One handler makes 8 calls to the same neighbour: the sender allows 20 per second, the receiver 3.
        const string code = """
            function aso:onGet(caller)
              local target = comet.lookup()[2]
              local ok, limited = 0, 0
              for i = 1, 8 do
                local r = comet.get(comet.getASOKey(), {target})[1]
                if r.ok then ok = ok + 1 elseif string.find(r.error or "", "RateLimited", 1, true) then limited = limited + 1 end
              end
              return {ok = ok, limited = limited}
            end
            """;
        using (var put = await Http.PutAsync($"/v1/default/keys/{key}?n=1&w=1", Lua(code)))
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        using var doc = JsonDocument.Parse(await Http.GetStringAsync($"/v1/default/keys/{key}"));
        Assert.Equal(3, doc.RootElement.GetProperty("ok").GetInt32());
        Assert.Equal(5, doc.RootElement.GetProperty("limited").GetInt32());
    }

    /// <summary>The silo of replica 0, the home of an n = 1 object.</summary>
    private string Home(string key) =>
        Cluster.Silos[0].Services.GetRequiredService<RingView>().Current.SiloFor(Abstractions.Keys.KeyHash.Of("default", key), 0)!;

    /// <summary>The silos that hold a live copy of the key's ASO, with the copy's data.</summary>
    private async Task<Dictionary<string, JsonElement>> CopiesAsync(string key)
    {
        var grains = Cluster.Silos[0].Services.GetRequiredService<IGrainFactory>();
        var copies = new Dictionary<string, JsonElement>();
        for (var r = 0; r < 5; r++)
        {
            var inspection = await grains.GetGrain<IReplicaGrain>(ReplicaGrainKey.Format("default", key, r)).InspectAsync();
            var live = inspection.Live.Where(v => v.Kind == ObjectKind.Aso).ToList();
            if (live.Count == 0) continue;
            using var doc = JsonDocument.Parse(live[0].Data);
            Assert.True(copies.TryAdd(inspection.Silo, doc.RootElement.Clone()), $"two replicas of {key} on {inspection.Silo}");
        }
        return copies;
    }

    private static ByteArrayContent Lua(string code)
    {
        var content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(code));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-lua");
        return content;
    }
}

/// <summary>The five silos, started once for the class.</summary>
public sealed class FiveSiloFixture : IAsyncLifetime
{
    public SiloCluster Cluster { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await SiloCluster.StartAsync(5, new Dictionary<string, string?>
        {
            ["Comet:Silo:AntiEntropyPeriod"] = "00:00:01",
            ["Comet:Silo:MaxIncomingNeighbourCallsPerSecond"] = "3",
        });
        Http = new HttpClient { BaseAddress = Cluster.Http(0), Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (Cluster is not null) await Cluster.DisposeAsync();
    }
}
