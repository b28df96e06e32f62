using System.Net;
using System.Text;
using System.Text.Json;
using Comet.Gateway.Tests.Support;
using Comet.Tests.Shared;

namespace Comet.Gateway.Tests;

/// <summary>The REST contract (README.md, "REST gateway") on the Orleans grid: statuses, headers, bodies, query parameters.</summary>
[Collection(RestCollection.Name)]
public sealed class RestContractTests(RestClusterFixture fixture)
{
    private const string Ns = RestClusterFixture.Open;

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : "";

    [Fact]
    public async Task A_put_answers_201_then_200_on_overwrite_with_version_and_context_and_reads_back_as_bytes_on_any_silo()
    {
        var key = ClusterFixture.NewKey("basic");
        using var first = await fixture.Http.PutAsync(Ns, key, "one");
        await RestCalls.ExpectAsync(first, HttpStatusCode.Created);
        using (var body = JsonDocument.Parse(await first.Content.ReadAsStringAsync()))
        {
            Assert.False(string.IsNullOrEmpty(body.RootElement.GetProperty("version").GetString()));
            Assert.True(body.RootElement.GetProperty("replicas").GetInt32() >= 2, "W = 2 by default");
            Assert.Equal(body.RootElement.GetProperty("version").GetString(), Header(first, "X-Comet-Version"));
        }
        Assert.NotEmpty(Header(first, "X-Comet-Context"));

        using var second = await fixture.HttpOf(2).PutAsync(Ns, key, "two");
        await RestCalls.ExpectAsync(second, HttpStatusCode.OK);
        Assert.NotEqual(Header(first, "X-Comet-Version"), Header(second, "X-Comet-Version"));

        using var get = await fixture.HttpOf(1).GetAsync(Ns, key);
        await RestCalls.ExpectAsync(get, HttpStatusCode.OK);
        Assert.Equal("application/octet-stream", get.Content.Headers.ContentType!.MediaType);
        Assert.Equal("two", await get.Content.ReadAsStringAsync());
        Assert.Equal(Header(second, "X-Comet-Version"), Header(get, "X-Comet-Version"));
        Assert.NotEmpty(Header(get, "X-Comet-Context"));
    }

    [Fact]
    public async Task Binary_values_and_keys_with_slashes_and_unicode_round_trip_and_slash_stays_distinct_from_2F()
    {
        var bytes = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var key = "a/b?c#d%e f\u00e9\U0001F600-" + Guid.NewGuid().ToString("N");
        using (var put = await fixture.Http.SendAsync(HttpMethod.Put, RestCalls.KeyPath(Ns, key), content: new ByteArrayContent(bytes)))
            await RestCalls.ExpectAsync(put, HttpStatusCode.Created);
        using (var get = await fixture.HttpOf(2).GetAsync(Ns, key))
        {
            await RestCalls.ExpectAsync(get, HttpStatusCode.OK);
            Assert.Equal(bytes, await get.Content.ReadAsByteArrayAsync());
        }

        // "x%2Fy" is the key "x/y"; a raw '/' makes another path, which is not a key.
        var slashed = "x/" + Guid.NewGuid().ToString("N");
        Assert.Contains("%2F", RestCalls.KeyPath(Ns, slashed), StringComparison.Ordinal);
        using (var put = await fixture.Http.PutAsync(Ns, slashed, "slashed")) await RestCalls.ExpectAsync(put, HttpStatusCode.Created);
        Assert.Equal("slashed", await fixture.HttpOf(1).ReadAsync(Ns, slashed));
        using var raw = await fixture.Http.SendAsync(HttpMethod.Get, $"/v1/{Ns}/keys/{slashed}");
        await RestCalls.ExpectErrorAsync(raw, HttpStatusCode.BadRequest, "BadRequest");
    }

    [Fact]
    public async Task A_missing_key_is_404_with_a_json_error()
    {
        using var get = await fixture.Http.GetAsync(Ns, ClusterFixture.NewKey("never-stored"));
        await RestCalls.ExpectErrorAsync(get, HttpStatusCode.NotFound, "NotFound");
    }

    [Fact]
    public async Task Two_clients_that_create_a_key_with_the_context_of_their_404_both_keep_their_value_as_siblings()
    {
        var key = ClusterFixture.NewKey("two-creates");
        var contexts = new List<string>();
        foreach (var http in new[] { fixture.Http, fixture.HttpOf(1) })
        {
            using var miss = await http.GetAsync(Ns, key);
            await RestCalls.ExpectErrorAsync(miss, HttpStatusCode.NotFound, "NotFound");
            contexts.Add(Assert.Single(miss.Headers.GetValues("X-Comet-Context")));
        }
        for (var i = 0; i < 2; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, RestCalls.KeyPath(Ns, key)) { Content = RestCalls.Text("client-" + i) };
            request.Headers.Add("X-Comet-Context", contexts[i]);
            using var put = await fixture.HttpOf(i).SendAsync(request);
            await RestCalls.ExpectAsync(put, i == 0 ? HttpStatusCode.Created : HttpStatusCode.OK);
        }
        using var get = await fixture.Http.GetAsync(Ns, key, query: "r=3");
        Assert.Equal(HttpStatusCode.MultipleChoices, get.StatusCode);
        var body = await get.Content.ReadAsStringAsync();
        Assert.Contains("client-0", body, StringComparison.Ordinal);
        Assert.Contains("client-1", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_asos_onGet_result_is_returned_as_json()
    {
        var key = ClusterFixture.NewKey("aso");
        using var put = await fixture.Http.PutAsoAsync(Ns, key, """
            aso.value = "Hello world!"
            aso.getCount = 0
            function aso:onGet(caller)
              self.getCount = self.getCount + 1
              return {self.value, self.getCount, {nested = true}}
            end
            """);
        await RestCalls.ExpectAsync(put, HttpStatusCode.Created);
        using var get = await fixture.Http.GetAsync(Ns, key, query: "r=1");
        await RestCalls.ExpectAsync(get, HttpStatusCode.OK);
        Assert.Equal("application/json", get.Content.Headers.ContentType!.MediaType);
        using var doc = JsonDocument.Parse(await get.Content.ReadAsStringAsync());
        Assert.Equal("Hello world!", doc.RootElement[0].GetString());
        Assert.Equal(1, doc.RootElement[1].GetInt32());
        Assert.True(doc.RootElement[2].GetProperty("nested").GetBoolean());
    }

    [Fact]
    public async Task An_aso_without_onGet_returns_its_value_and_args_and_the_callers_ip_reach_the_handler()
    {
        var plain = ClusterFixture.NewKey("plain-aso");
        using (var put = await fixture.Http.PutAsoAsync(Ns, plain, "aso.value = 'plain'")) await RestCalls.ExpectAsync(put, HttpStatusCode.Created);
        Assert.Equal("\"plain\"", await fixture.Http.ReadAsync(Ns, plain));

        var greeter = ClusterFixture.NewKey("args");
        using (var put = await fixture.Http.PutAsoAsync(Ns, greeter, "function aso:onGet(caller) return caller.args.greeting .. ' from ' .. tostring(caller.ip) end"))
            await RestCalls.ExpectAsync(put, HttpStatusCode.Created);
        using var get = await fixture.HttpOf(1).GetAsync(Ns, greeter, query: "args=" + Uri.EscapeDataString("{\"greeting\":\"hi\"}"));
        await RestCalls.ExpectAsync(get, HttpStatusCode.OK);
        Assert.Equal("\"hi from 127.0.0.1\"", await get.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Delete_answers_204_then_the_key_is_404_and_history_shows_the_deletion()
    {
        var key = ClusterFixture.NewKey("del");
        using (var put = await fixture.Http.PutAsync(Ns, key, "x")) await RestCalls.ExpectAsync(put, HttpStatusCode.Created);
        using (var delete = await fixture.HttpOf(1).DeleteAsync(Ns, key))
        {
            await RestCalls.ExpectAsync(delete, HttpStatusCode.NoContent);
            Assert.NotEmpty(Header(delete, "X-Comet-Version"));
        }
        using (var get = await fixture.Http.GetAsync(Ns, key)) await RestCalls.ExpectErrorAsync(get, HttpStatusCode.NotFound, "NotFound");
        using var history = await fixture.HttpOf(2).SendAsync(HttpMethod.Get, RestCalls.HistoryPath(Ns, key));
        await RestCalls.ExpectAsync(history, HttpStatusCode.OK);
        using var doc = JsonDocument.Parse(await history.Content.ReadAsStringAsync());
        var kinds = doc.RootElement.GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("kind").GetString()).ToList();
        Assert.Equal(["deleted", "value"], kinds);
    }

    [Fact]
    public async Task History_is_metadata_newest_first_and_get_by_version_reads_an_old_one()
    {
        var key = ClusterFixture.NewKey("history");
        for (var i = 1; i <= 3; i++)
        {
            using var put = await fixture.Http.PutAsync(Ns, key, "value-" + i);
            Assert.True(put.IsSuccessStatusCode);
        }
        using var history = await fixture.HttpOf(1).SendAsync(HttpMethod.Get, RestCalls.HistoryPath(Ns, key));
        await RestCalls.ExpectAsync(history, HttpStatusCode.OK);
        Assert.Equal("application/json", history.Content.Headers.ContentType!.MediaType);
        var body = await history.Content.ReadAsStringAsync();
        Assert.DoesNotContain("value-", body, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(body);
        var versions = doc.RootElement.GetProperty("versions").EnumerateArray().ToList();
        Assert.Equal(3, versions.Count);
        foreach (var v in versions)
        {
            var fields = v.EnumerateObject().Select(p => p.Name).ToHashSet();
            Assert.Subset(new HashSet<string> { "version", "kind", "live", "writtenAt", "size", "expiresAt", "dataDropped" }, fields);
            Assert.Superset(new HashSet<string> { "version", "kind", "live", "writtenAt", "size" }, fields);
            Assert.Equal("value", v.GetProperty("kind").GetString());
            Assert.Equal(7, v.GetProperty("size").GetInt32());
        }
        Assert.True(versions[0].GetProperty("live").GetBoolean());
        Assert.False(versions[1].GetProperty("live").GetBoolean());
        Assert.False(versions[2].GetProperty("live").GetBoolean());
        var times = versions.Select(v => v.GetProperty("writtenAt").GetDateTimeOffset()).ToList();
        Assert.Equal(times.OrderByDescending(t => t), times);

        var oldest = versions[2].GetProperty("version").GetString()!;
        using var old = await fixture.HttpOf(2).GetAsync(Ns, key, query: "version=" + Uri.EscapeDataString(oldest));
        await RestCalls.ExpectAsync(old, HttpStatusCode.OK);
        Assert.Equal("value-1", await old.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task History_never_reveals_an_asos_code_or_data()
    {
        var key = ClusterFixture.NewKey("hidden");
        const string code = """
            aso.secret = "the-hidden-password"
            function aso:onGet(caller) return "ask nicely" end
            """;
        using (var put = await fixture.Http.PutAsoAsync(Ns, key, code)) await RestCalls.ExpectAsync(put, HttpStatusCode.Created);
        using (var put = await fixture.Http.PutAsoAsync(Ns, key, code.Replace("hidden-password", "other-password", StringComparison.Ordinal)))
            await RestCalls.ExpectAsync(put, HttpStatusCode.OK);
        using var history = await fixture.Http.SendAsync(HttpMethod.Get, RestCalls.HistoryPath(Ns, key));
        await RestCalls.ExpectAsync(history, HttpStatusCode.OK);
        var body = await history.Content.ReadAsStringAsync();
        Assert.DoesNotContain("password", body, StringComparison.Ordinal);
        Assert.DoesNotContain("onGet", body, StringComparison.Ordinal);
        Assert.DoesNotContain("ask nicely", body, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(body);
        Assert.All(doc.RootElement.GetProperty("versions").EnumerateArray(), v => Assert.Equal("aso", v.GetProperty("kind").GetString()));
        Assert.Equal("\"ask nicely\"", await fixture.Http.ReadAsync(Ns, key));
    }

    [Fact]
    public async Task Two_writes_from_the_same_context_are_siblings_answered_300_and_a_put_with_the_merged_context_resolves_them()
    {
        var key = ClusterFixture.NewKey("siblings");
        using (var put = await fixture.Http.PutAsync(Ns, key, "base")) await RestCalls.ExpectAsync(put, HttpStatusCode.Created);
        using var read = await fixture.Http.GetAsync(Ns, key);
        var context = Header(read, "X-Comet-Context");
        Assert.NotEmpty(context);

        // Two clients read the same version and write concurrently: neither saw the other (one sends the context in the query, one in the header).
        using (var a = await fixture.HttpOf(1).PutAsync(Ns, key, "from-a", query: "context=" + Uri.EscapeDataString(context)))
            await RestCalls.ExpectAsync(a, HttpStatusCode.OK);
        using (var b = await fixture.HttpOf(2).SendAsync(HttpMethod.Put, RestCalls.KeyPath(Ns, key), content: RestCalls.Text("from-b"),
                   headers: new Dictionary<string, string> { ["X-Comet-Context"] = context }))
            await RestCalls.ExpectAsync(b, HttpStatusCode.OK);

        using var siblings = await fixture.Http.GetAsync(Ns, key, query: "r=3");
        await RestCalls.ExpectAsync(siblings, HttpStatusCode.MultipleChoices);
        Assert.Equal("application/json", siblings.Content.Headers.ContentType!.MediaType);
        using (var doc = JsonDocument.Parse(await siblings.Content.ReadAsStringAsync()))
        {
            var values = doc.RootElement.EnumerateArray().Select(e => e.GetProperty("value").GetString()).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(["from-a", "from-b"], values);
            Assert.All(doc.RootElement.EnumerateArray(), e =>
            {
                Assert.Equal("value", e.GetProperty("kind").GetString());
                Assert.False(string.IsNullOrEmpty(e.GetProperty("version").GetString()));
                Assert.Equal(Convert.ToBase64String(Encoding.UTF8.GetBytes(e.GetProperty("value").GetString()!)), e.GetProperty("base64").GetString());
            });
        }
        var merged = Header(siblings, "X-Comet-Context");
        Assert.NotEmpty(merged);

        using (var resolve = await fixture.Http.PutAsync(Ns, key, "resolved", query: "context=" + Uri.EscapeDataString(merged)))
            await RestCalls.ExpectAsync(resolve, HttpStatusCode.OK);
        using var after = await fixture.HttpOf(1).GetAsync(Ns, key, query: "r=3");
        await RestCalls.ExpectAsync(after, HttpStatusCode.OK);
        Assert.Equal("resolved", await after.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_value_put_with_a_ttl_carries_an_expiry_and_is_404_once_it_has_passed()
    {
        var key = ClusterFixture.NewKey("ttl");
        using (var put = await fixture.Http.PutAsync(Ns, key, "brief", query: "ttl=1")) await RestCalls.ExpectAsync(put, HttpStatusCode.Created);
        using (var get = await fixture.Http.GetAsync(Ns, key))
        {
            if (get.StatusCode == HttpStatusCode.OK) Assert.NotNull(get.Content.Headers.Expires);
        }
        await SiloCluster.EventuallyAsync(async () =>
        {
            using var get = await fixture.HttpOf(1).GetAsync(Ns, key);
            return get.StatusCode == HttpStatusCode.NotFound;
        }, "the value expires", TimeSpan.FromSeconds(10));

        var lasting = ClusterFixture.NewKey("ttl-long");
        using (var put = await fixture.Http.PutAsync(Ns, lasting, "lasting", query: "ttl=3600")) await RestCalls.ExpectAsync(put, HttpStatusCode.Created);
        using var kept = await fixture.Http.GetAsync(Ns, lasting);
        await RestCalls.ExpectAsync(kept, HttpStatusCode.OK);
        var expires = kept.Content.Headers.Expires;
        Assert.NotNull(expires);
        Assert.InRange(expires.Value, DateTimeOffset.UtcNow.AddMinutes(55), DateTimeOffset.UtcNow.AddMinutes(65));
    }

    [Fact]
    public async Task Quorum_query_parameters_choose_how_many_replicas_acknowledge_and_answer()
    {
        var key = ClusterFixture.NewKey("quorum");
        using (var all = await fixture.Http.PutAsync(Ns, key, "everywhere", query: "n=3&w=3"))
        {
            await RestCalls.ExpectAsync(all, HttpStatusCode.Created);
            using var doc = JsonDocument.Parse(await all.Content.ReadAsStringAsync());
            Assert.Equal(3, doc.RootElement.GetProperty("replicas").GetInt32());
        }
        using (var get = await fixture.HttpOf(2).GetAsync(Ns, key, query: "r=3")) await RestCalls.ExpectAsync(get, HttpStatusCode.OK);

        var single = ClusterFixture.NewKey("quorum-1");
        using (var one = await fixture.Http.PutAsync(Ns, single, "once", query: "n=1&w=1"))
        {
            await RestCalls.ExpectAsync(one, HttpStatusCode.Created);
            using var doc = JsonDocument.Parse(await one.Content.ReadAsStringAsync());
            Assert.Equal(1, doc.RootElement.GetProperty("replicas").GetInt32());
        }
        using (var get = await fixture.HttpOf(1).GetAsync(Ns, single, query: "n=1&r=1"))
        {
            await RestCalls.ExpectAsync(get, HttpStatusCode.OK);
            Assert.Equal("once", await get.Content.ReadAsStringAsync());
        }
    }
}
