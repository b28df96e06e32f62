using System.Net;
using System.Text.Json;
using Comet.Gateway.Tests.Support;

namespace Comet.Gateway.Tests;

/// <summary>
/// Issue 11 over REST on three real silos: an ASO mediates every read of its data (history shows metadata
/// only, <c>?version=</c> runs that version's onGet, a one-time value is gone everywhere once read), and
/// each object keeps the replication it asked for (n fixed at the first put, found by every silo, guarded
/// by its onUpdate wherever the put lands, and absorbing concurrent puts without losing one).
/// </summary>
[Collection(RestCollection.Name)]
public sealed class ObjectRulesTests(RestClusterFixture fixture)
{
    private const string Ns = RestClusterFixture.Open;
    private const string Secret = "the-secret-value-7f3a";

    private static string Sample(string name)
    {
        // The samples are at the repository root; walk up from the test's bin folder.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "samples", "asos", name);
            if (File.Exists(path)) return File.ReadAllText(path);
        }
        throw new FileNotFoundException($"samples/asos/{name} not found above {AppContext.BaseDirectory}");
    }

    private static string Args(object args) => "args=" + Uri.EscapeDataString(JsonSerializer.Serialize(args));

    private async Task<string> PutPasswordObjectAsync(string key)
    {
        using var put = await fixture.Http.PutAsoAsync(Ns, key, Sample("password_access.lua"), query: Args(new { password = "pw", value = Secret }));
        await RestCalls.ExpectAsync(put, HttpStatusCode.Created);
        return Assert.Single(put.Headers.GetValues("X-Comet-Version"));
    }

    [Fact]
    public async Task History_of_a_password_object_lists_metadata_only_on_every_silo()
    {
        var key = ClusterFixture.NewKey("pw-history");
        await PutPasswordObjectAsync(key);
        for (var silo = 0; silo < 3; silo++)
        {
            using var history = await fixture.HttpOf(silo).SendAsync(HttpMethod.Get, RestCalls.HistoryPath(Ns, key));
            await RestCalls.ExpectAsync(history, HttpStatusCode.OK);
            var body = await history.Content.ReadAsStringAsync();
            Assert.DoesNotContain(Secret, body, StringComparison.Ordinal);
            Assert.DoesNotContain("onGet", body, StringComparison.Ordinal);
            Assert.DoesNotContain("hash", body, StringComparison.Ordinal);
            using var doc = JsonDocument.Parse(body);
            var item = Assert.Single(doc.RootElement.GetProperty("versions").EnumerateArray());
            var fields = item.EnumerateObject().Select(p => p.Name).ToHashSet();
            Assert.Subset(new HashSet<string> { "version", "kind", "live", "writtenAt", "expiresAt", "size", "dataDropped" }, fields);
        }
    }

    [Fact]
    public async Task A_version_read_runs_that_versions_onGet_with_the_caller_and_a_missing_version_is_404()
    {
        var key = ClusterFixture.NewKey("pw-version");
        var version = await PutPasswordObjectAsync(key);
        using (var without = await fixture.HttpOf(1).GetAsync(Ns, key, query: "version=" + version))
            await RestCalls.ExpectErrorAsync(without, (HttpStatusCode)422, "HandlerError");
        using (var wrong = await fixture.HttpOf(2).GetAsync(Ns, key, query: "version=" + version + "&" + Args(new { password = "nope" })))
            await RestCalls.ExpectErrorAsync(wrong, (HttpStatusCode)422, "HandlerError");
        using (var right = await fixture.HttpOf(2).GetAsync(Ns, key, query: "version=" + version + "&" + Args(new { password = "pw" })))
        {
            await RestCalls.ExpectAsync(right, HttpStatusCode.OK);
            Assert.Equal($"\"{Secret}\"", await right.Content.ReadAsStringAsync());
        }
        using var missing = await fixture.Http.GetAsync(Ns, key, query: "version=r0:999");
        await RestCalls.ExpectErrorAsync(missing, HttpStatusCode.NotFound, "NotFound");
    }

    [Fact]
    public async Task A_one_time_value_is_gone_from_every_replica_and_from_history_once_read()
    {
        var key = ClusterFixture.NewKey("one-time");
        using (var put = await fixture.Http.PutAsoAsync(Ns, key, Sample("one_time_value.lua"), query: Args(new { value = Secret })))
            await RestCalls.ExpectAsync(put, HttpStatusCode.Created);
        string version;
        using (var first = await fixture.HttpOf(1).GetAsync(Ns, key, query: "r=1"))
        {
            await RestCalls.ExpectAsync(first, HttpStatusCode.OK);
            Assert.Equal($"\"{Secret}\"", await first.Content.ReadAsStringAsync());
            version = Assert.Single(first.Headers.GetValues("X-Comet-Version"));
        }
        for (var silo = 0; silo < 3; silo++)
        {
            // r=1 reads the replica on that silo first: none of them may still serve the value.
            using (var again = await fixture.HttpOf(silo).GetAsync(Ns, key, query: "r=1"))
                await RestCalls.ExpectErrorAsync(again, HttpStatusCode.NotFound, "NotFound");
            using (var old = await fixture.HttpOf(silo).GetAsync(Ns, key, query: "version=" + version))
                await RestCalls.ExpectErrorAsync(old, HttpStatusCode.NotFound, "NotFound");
            using var history = await fixture.HttpOf(silo).SendAsync(HttpMethod.Get, RestCalls.HistoryPath(Ns, key));
            Assert.DoesNotContain(Secret, await history.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task With_an_api_key_caller_id_is_the_keys_id_over_rest()
    {
        var (id, apiKey) = await fixture.CreateKeyAsync(RestClusterFixture.Alpha);
        var key = ClusterFixture.NewKey("whoami");
        using (var put = await fixture.Http.PutAsoAsync(RestClusterFixture.Alpha, key, "function aso:onGet(caller) return caller.id end", apiKey))
            await RestCalls.ExpectAsync(put, HttpStatusCode.Created);
        using var get = await fixture.HttpOf(2).GetAsync(RestClusterFixture.Alpha, key, apiKey);
        await RestCalls.ExpectAsync(get, HttpStatusCode.OK);
        Assert.Equal($"\"{id}\"", await get.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_object_written_with_n_1_is_found_by_a_plain_get_on_every_silo()
    {
        for (var i = 0; i < 6; i++)
        {
            var key = ClusterFixture.NewKey("n1");
            using (var put = await fixture.HttpOf(i % 3).PutAsync(Ns, key, "only-one-copy", query: "n=1&w=1"))
                await RestCalls.ExpectAsync(put, HttpStatusCode.Created);
            for (var silo = 0; silo < 3; silo++)
                Assert.Equal("only-one-copy", await fixture.HttpOf(silo).ReadAsync(Ns, key));
        }
    }

    [Fact]
    public async Task The_n_of_an_object_is_chosen_by_its_first_put_and_later_puts_keep_it()
    {
        var key = ClusterFixture.NewKey("n-fixed");
        using (var put = await fixture.Http.PutAsync(Ns, key, "one", query: "n=1"))
            await RestCalls.ExpectAsync(put, HttpStatusCode.Created);
        using (var plain = await fixture.HttpOf(1).PutAsync(Ns, key, "two"))
        {
            await RestCalls.ExpectAsync(plain, HttpStatusCode.OK);
            using var answer = JsonDocument.Parse(await plain.Content.ReadAsStringAsync());
            Assert.Equal(1, answer.RootElement.GetProperty("replicas").GetInt32());
        }
        using (var other = await fixture.HttpOf(2).PutAsync(Ns, key, "three", query: "n=3"))
            await RestCalls.ExpectErrorAsync(other, HttpStatusCode.BadRequest, "BadRequest");
        for (var silo = 0; silo < 3; silo++) Assert.Equal("two", await fixture.HttpOf(silo).ReadAsync(Ns, key));
    }

    [Fact]
    public async Task An_object_with_n_1_that_refuses_updates_refuses_a_plain_put_through_every_silo()
    {
        var key = ClusterFixture.NewKey("n1-guarded");
        const string code = """
            aso.value = "original"
            function aso:onUpdate(caller, incoming) return false, "this object cannot be replaced" end
            """;
        using (var put = await fixture.Http.PutAsoAsync(Ns, key, code, query: "n=1&w=1"))
            await RestCalls.ExpectAsync(put, HttpStatusCode.Created);
        for (var silo = 0; silo < 3; silo++)
        {
            using var overwrite = await fixture.HttpOf(silo).PutAsync(Ns, key, "intruder");
            await RestCalls.ExpectErrorAsync(overwrite, HttpStatusCode.Conflict, "Rejected");
        }
        for (var silo = 0; silo < 3; silo++) Assert.Equal("\"original\"", await fixture.HttpOf(silo).ReadAsync(Ns, key));
    }

    [Fact]
    public async Task Sixteen_concurrent_publishers_through_every_silo_are_all_absorbed_by_the_topic()
    {
        var key = ClusterFixture.NewKey("topic");
        using (var put = await fixture.Http.PutAsoAsync(Ns, key, Sample("pubsub.lua"), query: Args(new { max = 1000 })))
            await RestCalls.ExpectAsync(put, HttpStatusCode.Created);
        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<string>();
        var publishers = Enumerable.Range(0, 16).Select(p => Task.Run(async () =>
        {
            for (var m = 0; m < 8; m++)
            {
                var message = $"p{p}-m{m}";
                using var publish = await fixture.HttpOf((p + m) % 3).PutAsync(Ns, key, message);
                if (publish.IsSuccessStatusCode) acknowledged.Add(message);
            }
        }));
        await Task.WhenAll(publishers);
        Assert.NotEmpty(acknowledged);
        for (var silo = 0; silo < 3; silo++)
        {
            using var get = await fixture.HttpOf(silo).GetAsync(Ns, key, query: "r=3");
            await RestCalls.ExpectAsync(get, HttpStatusCode.OK);
            using var topic = JsonDocument.Parse(await get.Content.ReadAsStringAsync());
            var seen = topic.RootElement.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("data").GetString()).ToHashSet();
            var lost = acknowledged.Where(m => !seen.Contains(m)).ToList();
            Assert.True(lost.Count == 0, $"silo {silo}: {lost.Count} of {acknowledged.Count} acknowledged publishes are missing: {string.Join(", ", lost.Take(10))}");
        }
    }
}
