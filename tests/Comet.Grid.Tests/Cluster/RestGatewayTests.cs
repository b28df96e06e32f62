using System.Net;
using System.Text;
using System.Text.Json;

namespace Comet.Grid.Tests.Cluster;

public class RestGatewayTests : IClassFixture<ClusterFixture>
{
    private readonly ClusterFixture _f;

    public RestGatewayTests(ClusterFixture fixture) => _f = fixture;

    private static async Task<(string Error, string Message)> ErrorOf(HttpResponseMessage response)
    {
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (doc.RootElement.GetProperty("error").GetString()!, doc.RootElement.GetProperty("message").GetString()!);
    }

    [Fact]
    public async Task Put_then_get_returns_the_bytes_with_201_then_200_on_overwrite()
    {
        var first = await _f.PutAsync("rest-basic", "one");
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        using (var body = JsonDocument.Parse(await first.Content.ReadAsStringAsync()))
        {
            Assert.False(string.IsNullOrEmpty(body.RootElement.GetProperty("version").GetString()));
            Assert.True(body.RootElement.GetProperty("replicas").GetInt32() >= 2);
        }
        var second = await _f.PutAsync("rest-basic", "two", silo: 2);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var get = await _f.GetAsync("rest-basic", silo: 1);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("application/octet-stream", get.Content.Headers.ContentType!.MediaType);
        Assert.Equal("two", await get.Content.ReadAsStringAsync());
        Assert.True(get.Headers.Contains("X-Comet-Version"));
    }

    [Fact]
    public async Task Binary_values_and_awkward_keys_round_trip()
    {
        var bytes = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        const string key = "a/b?c#d%e f\u00e9\U0001F600";
        var put = await _f.Http.PutAsync(_f.Url(key), new ByteArrayContent(bytes));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        var get = await _f.GetAsync(key, silo: 2);
        Assert.Equal(bytes, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Missing_key_is_404_with_a_json_error()
    {
        var get = await _f.GetAsync("never-stored");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal("NotFound", (await ErrorOf(get)).Error);
    }

    [Fact]
    public async Task Aso_get_returns_the_onGet_result_as_json()
    {
        var put = await _f.PutAsoAsync("rest-aso", """
            aso.value = "Hello world!"
            aso.getCount = 0
            function aso:onGet(caller)
              self.getCount = self.getCount + 1
              return {self.value, self.getCount}
            end
            """);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        var get = await _f.GetAsync("rest-aso", "r=1");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("application/json", get.Content.Headers.ContentType!.MediaType);
        using var doc = JsonDocument.Parse(await get.Content.ReadAsStringAsync());
        Assert.Equal("Hello world!", doc.RootElement[0].GetString());
        Assert.Equal(1, doc.RootElement[1].GetInt32());
    }

    [Fact]
    public async Task Aso_without_onGet_returns_aso_value_and_args_reach_the_handler()
    {
        await _f.PutAsoAsync("rest-plain-aso", "aso.value = 'plain'");
        var get = await _f.GetAsync("rest-plain-aso");
        Assert.Equal("\"plain\"", await get.Content.ReadAsStringAsync());

        await _f.PutAsoAsync("rest-args", "function aso:onGet(caller) return caller.args.greeting .. ' from ' .. tostring(caller.ip) end");
        var withArgs = await _f.GetAsync("rest-args", "args=" + Uri.EscapeDataString("{\"greeting\":\"hi\"}"));
        Assert.Equal(HttpStatusCode.OK, withArgs.StatusCode);
        Assert.Equal("\"hi from 127.0.0.1\"", await withArgs.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Delete_answers_204_and_the_key_is_gone_and_history_shows_it()
    {
        await _f.PutAsync("rest-del", "x");
        var delete = await _f.Http.DeleteAsync(_f.Url("rest-del", silo: 1));
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _f.GetAsync("rest-del")).StatusCode);
        var history = await _f.Http.GetAsync(_f.Url("rest-del") + "/history");
        using var doc = JsonDocument.Parse(await history.Content.ReadAsStringAsync());
        var kinds = doc.RootElement.GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("kind").GetString()).ToList();
        Assert.Equal(["deleted", "value"], kinds);
    }

    [Fact]
    public async Task History_keeps_versions_newest_first_and_get_by_version_reads_an_old_one()
    {
        for (var i = 1; i <= 3; i++) await _f.PutAsync("rest-history", "v" + i);
        var history = await _f.Http.GetAsync(_f.Url("rest-history") + "/history");
        Assert.Equal(HttpStatusCode.OK, history.StatusCode);
        using var doc = JsonDocument.Parse(await history.Content.ReadAsStringAsync());
        var versions = doc.RootElement.GetProperty("versions").EnumerateArray().ToList();
        Assert.Equal(["v3", "v2", "v1"], versions.Select(v => v.GetProperty("value").GetString()).ToList());
        Assert.True(versions[0].GetProperty("live").GetBoolean());
        Assert.False(versions[2].GetProperty("live").GetBoolean());
        var oldId = versions[2].GetProperty("version").GetString()!;
        var old = await _f.GetAsync("rest-history", "version=" + Uri.EscapeDataString(oldId));
        Assert.Equal("v1", await old.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Every_bad_input_gets_its_documented_error_and_changes_nothing()
    {
        await _f.PutAsync("rest-bad", "original");
        await _f.PutAsoAsync("rest-guarded", """
            aso.value = "guarded"
            function aso:onUpdate(caller, incoming) return caller.args ~= nil and caller.args.password == "pw" end
            """);

        async Task Expect(HttpResponseMessage response, HttpStatusCode status, string error)
        {
            Assert.Equal(status, response.StatusCode);
            Assert.Equal(error, (await ErrorOf(response)).Error);
        }

        await Expect(await _f.Http.GetAsync($"{_f.Cluster.Silos[0].HttpAddress}/v1/nosuchns/keys/k"), HttpStatusCode.NotFound, "UnknownNamespace");
        await Expect(await _f.Http.GetAsync($"{_f.Cluster.Silos[0].HttpAddress}/v1/Bad_NS/keys/k"), HttpStatusCode.BadRequest, "BadKey");
        await Expect(await _f.Http.GetAsync($"{_f.Cluster.Silos[0].HttpAddress}/v1/default/keys/%FF%FE"), HttpStatusCode.BadRequest, "BadKey");
        await Expect(await _f.Http.GetAsync(_f.Url(new string('k', 1025))), HttpStatusCode.BadRequest, "BadKey");
        await Expect(await _f.PutAsync("rest-bad", "x", "n=abc"), HttpStatusCode.BadRequest, "BadRequest");
        await Expect(await _f.PutAsync("rest-bad", "x", "w=3&n=2"), HttpStatusCode.BadRequest, "BadRequest");
        await Expect(await _f.PutAsync("rest-bad", "x", "ttl=-5"), HttpStatusCode.BadRequest, "BadRequest");
        await Expect(await _f.PutAsync("rest-bad", "x", "context=garbage!"), HttpStatusCode.BadRequest, "BadRequest");
        await Expect(await _f.GetAsync("rest-bad", "args=" + Uri.EscapeDataString("{not json")), HttpStatusCode.BadRequest, "BadRequest");
        await Expect(await _f.GetAsync("rest-bad", "args=" + Uri.EscapeDataString("[1,2]")), HttpStatusCode.BadRequest, "BadRequest");
        await Expect(await _f.GetAsync("rest-bad", "version=nonsense"), HttpStatusCode.BadRequest, "BadRequest");
        await Expect(await _f.Http.PutAsync(_f.Url("rest-bad"), new ByteArrayContent(new byte[1024 * 1024 + 1])), HttpStatusCode.RequestEntityTooLarge, "TooLarge");
        await Expect(await _f.PutAsoAsync("rest-bad", "function aso:onGet( return 1 end"), HttpStatusCode.BadRequest, "BadCode");
        await Expect(await _f.PutAsoAsync("rest-bad", "\u001bLua"), HttpStatusCode.BadRequest, "BadCode");
        await Expect(await _f.PutAsoAsync("rest-bad", "function aso:onPut() return false end"), HttpStatusCode.Conflict, "Rejected");
        await Expect(await _f.PutAsoAsync("rest-bad", "function aso:onPut() error('no thanks') end"), HttpStatusCode.UnprocessableEntity, "HandlerError");
        await Expect(await _f.PutAsoAsync("rest-bad", "function aso:onPut() while true do end end"), HttpStatusCode.UnprocessableEntity, "InstructionLimit");
        await Expect(await _f.PutAsoAsync("rest-bad", "function aso:onPut() local t = {} for i = 1, 1e7 do t[i] = i end end"), HttpStatusCode.UnprocessableEntity, "MemoryLimit");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await _f.Http.PostAsync(_f.Url("rest-bad"), new StringContent("x"))).StatusCode);
        await Expect(await _f.PutAsync("rest-guarded", "overwrite without password"), HttpStatusCode.Conflict, "Rejected");

        var get = await _f.GetAsync("rest-bad");
        Assert.Equal("original", await get.Content.ReadAsStringAsync());
        Assert.Equal("\"guarded\"", await (await _f.GetAsync("rest-guarded")).Content.ReadAsStringAsync());
        var history = await _f.Http.GetAsync(_f.Url("rest-bad") + "/history");
        using var doc = JsonDocument.Parse(await history.Content.ReadAsStringAsync());
        Assert.Single(doc.RootElement.GetProperty("versions").EnumerateArray());

        var withPassword = await _f.PutAsync("rest-guarded", "new value", "args=" + Uri.EscapeDataString("{\"password\":\"pw\"}"));
        Assert.Equal(HttpStatusCode.OK, withPassword.StatusCode);
        Assert.Equal("new value", await (await _f.GetAsync("rest-guarded")).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_handler_error_on_get_is_422_with_the_lua_message_and_line()
    {
        await _f.PutAsoAsync("rest-get-error", "aso.value = 1\nfunction aso:onGet(caller)\n  return nil + 1\nend");
        var get = await _f.GetAsync("rest-get-error");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, get.StatusCode);
        var (error, message) = await ErrorOf(get);
        Assert.Equal("HandlerError", error);
        Assert.Contains("3", message, StringComparison.Ordinal);
        Assert.Contains("arithmetic", message, StringComparison.Ordinal);
    }
}
