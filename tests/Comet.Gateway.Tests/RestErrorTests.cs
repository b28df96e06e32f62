using System.Net;
using System.Text.Json;
using Comet.Gateway.Tests.Support;

namespace Comet.Gateway.Tests;

/// <summary>Every bad input gets its documented status and JSON error, and changes nothing.</summary>
[Collection(RestCollection.Name)]
public sealed class RestErrorTests(RestClusterFixture fixture)
{
    private const string Ns = RestClusterFixture.Open;

    private async Task<int> HistoryCountAsync(string key)
    {
        using var history = await fixture.Http.SendAsync(HttpMethod.Get, RestCalls.HistoryPath(Ns, key));
        await RestCalls.ExpectAsync(history, HttpStatusCode.OK);
        using var doc = JsonDocument.Parse(await history.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("versions").GetArrayLength();
    }

    [Fact]
    public async Task Bad_query_parameters_bad_code_and_refusals_get_their_documented_errors_and_change_nothing()
    {
        var key = ClusterFixture.NewKey("bad");
        using (var seed = await fixture.Http.PutAsync(Ns, key, "original")) await RestCalls.ExpectAsync(seed, HttpStatusCode.Created);

        async Task Expect(Task<HttpResponseMessage> request, HttpStatusCode status, string error)
        {
            using var response = await request;
            await RestCalls.ExpectErrorAsync(response, status, error);
        }

        var http = fixture.HttpOf(1);
        await Expect(http.PutAsync(Ns, key, "x", query: "n=abc"), HttpStatusCode.BadRequest, "BadRequest");
        await Expect(http.PutAsync(Ns, key, "x", query: "n=0"), HttpStatusCode.BadRequest, "BadRequest");
        await Expect(http.PutAsync(Ns, key, "x", query: "w=3&n=2"), HttpStatusCode.BadRequest, "BadRequest");
        await Expect(http.PutAsync(Ns, key, "x", query: "ttl=-5"), HttpStatusCode.BadRequest, "BadRequest");
        await Expect(http.PutAsync(Ns, key, "x", query: "ttl=soon"), HttpStatusCode.BadRequest, "BadRequest");
        await Expect(http.PutAsync(Ns, key, "x", query: "context=garbage!"), HttpStatusCode.BadRequest, "BadRequest");
        await Expect(http.PutAsync(Ns, key, "x", query: "args=" + Uri.EscapeDataString("{not json")), HttpStatusCode.BadRequest, "BadRequest");
        await Expect(http.GetAsync(Ns, key, query: "args=" + Uri.EscapeDataString("{not json")), HttpStatusCode.BadRequest, "BadRequest");
        await Expect(http.GetAsync(Ns, key, query: "args=" + Uri.EscapeDataString("[1,2]")), HttpStatusCode.BadRequest, "BadRequest");
        await Expect(http.GetAsync(Ns, key, query: "r=99"), HttpStatusCode.BadRequest, "BadRequest");
        await Expect(http.GetAsync(Ns, key, query: "version=nonsense"), HttpStatusCode.BadRequest, "BadRequest");
        await Expect(http.DeleteAsync(Ns, key, query: "context=garbage!"), HttpStatusCode.BadRequest, "BadRequest");
        await Expect(http.SendAsync(HttpMethod.Put, RestCalls.HistoryPath(Ns, key), content: RestCalls.Text("x")), HttpStatusCode.BadRequest, "BadRequest");
        await Expect(http.PutAsoAsync(Ns, key, "function aso:onGet( return 1 end"), HttpStatusCode.BadRequest, "BadCode");
        await Expect(http.PutAsoAsync(Ns, key, "\u001bLua"), HttpStatusCode.BadRequest, "BadCode");
        await Expect(http.PutAsoAsync(Ns, key, "function aso:onPut() return false end"), HttpStatusCode.Conflict, "Rejected");
        await Expect(http.PutAsoAsync(Ns, key, "function aso:onPut() error('no thanks') end"), HttpStatusCode.UnprocessableEntity, "HandlerError");
        await Expect(http.PutAsoAsync(Ns, key, "function aso:onPut() while true do end end"), HttpStatusCode.UnprocessableEntity, "InstructionLimit");
        await Expect(http.PutAsoAsync(Ns, key, "function aso:onPut() local t = {} for i = 1, 1e7 do t[i] = i end end"), HttpStatusCode.UnprocessableEntity, "MemoryLimit");
        await Expect(http.PutAsoAsync(Ns, key, "aso.value = 1 --" + new string('x', 70 * 1024)), HttpStatusCode.RequestEntityTooLarge, "TooLarge");
        using (var post = await http.PostAsync(RestCalls.KeyPath(Ns, key), RestCalls.Text("x")))
            Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);

        Assert.Equal("original", await fixture.Http.ReadAsync(Ns, key));
        Assert.Equal(1, await HistoryCountAsync(key));
    }

    [Fact]
    public async Task A_value_over_the_limit_is_413_whether_its_length_is_declared_or_streamed_and_nothing_is_stored()
    {
        var key = ClusterFixture.NewKey("big");
        var tooBig = new byte[1024 * 1024 + 1];
        using (var declared = await fixture.Http.SendAsync(HttpMethod.Put, RestCalls.KeyPath(Ns, key), content: new ByteArrayContent(tooBig)))
            await RestCalls.ExpectErrorAsync(declared, HttpStatusCode.RequestEntityTooLarge, "TooLarge");
        // Chunked: no Content-Length, so the gateway finds out while reading.
        using (var streamed = await fixture.Http.SendAsync(HttpMethod.Put, RestCalls.KeyPath(Ns, key), content: new StreamContent(new UnknownLengthStream(tooBig))))
            await RestCalls.ExpectErrorAsync(streamed, HttpStatusCode.RequestEntityTooLarge, "TooLarge");
        using (var get = await fixture.Http.GetAsync(Ns, key)) await RestCalls.ExpectErrorAsync(get, HttpStatusCode.NotFound, "NotFound");

        // Exactly at the limit is fine.
        using (var atLimit = await fixture.Http.SendAsync(HttpMethod.Put, RestCalls.KeyPath(Ns, key), content: new ByteArrayContent(new byte[1024 * 1024])))
            await RestCalls.ExpectAsync(atLimit, HttpStatusCode.Created);
    }

    [Fact]
    public async Task Bad_keys_and_unknown_namespaces_are_refused_with_their_codes()
    {
        async Task Expect(string path, HttpStatusCode status, string error)
        {
            using var response = await fixture.Http.SendAsync(HttpMethod.Put, path, content: RestCalls.Text("x"));
            await RestCalls.ExpectErrorAsync(response, status, error);
        }

        await Expect("/v1/nosuchns/keys/k", HttpStatusCode.NotFound, "UnknownNamespace");
        await Expect($"/v1/{Ns}/keys/%FF%FE", HttpStatusCode.BadRequest, "BadKey");
        await Expect($"/v1/{Ns}/keys/ok%C3%28", HttpStatusCode.BadRequest, "BadKey");
        await Expect($"/v1/%FF/keys/k", HttpStatusCode.BadRequest, "BadKey");
        await Expect(RestCalls.KeyPath(Ns, new string('k', 1025)), HttpStatusCode.BadRequest, "BadKey");
        await Expect($"/v1/{Ns}/keys/", HttpStatusCode.BadRequest, "BadKey");
        await Expect($"/v1/{Ns}/keys/a/b/c", HttpStatusCode.BadRequest, "BadRequest");
        // The longest key is fine.
        using var longest = await fixture.Http.PutAsync(Ns, new string('k', 1000) + Guid.NewGuid().ToString("N")[..24], "x");
        await RestCalls.ExpectAsync(longest, HttpStatusCode.Created);
    }

    [Fact]
    public async Task A_guarded_object_refuses_an_overwrite_with_409_until_the_args_carry_its_password()
    {
        var key = ClusterFixture.NewKey("guarded");
        using (var put = await fixture.Http.PutAsoAsync(Ns, key, """
            aso.value = "guarded"
            function aso:onUpdate(caller, incoming) return caller.args ~= nil and caller.args.password == "pw" end
            """)) await RestCalls.ExpectAsync(put, HttpStatusCode.Created);
        using (var refused = await fixture.HttpOf(2).PutAsync(Ns, key, "overwrite without password"))
            await RestCalls.ExpectErrorAsync(refused, HttpStatusCode.Conflict, "Rejected");
        using (var refused = await fixture.HttpOf(1).DeleteAsync(Ns, key))
            await RestCalls.ExpectErrorAsync(refused, HttpStatusCode.Conflict, "Rejected");
        Assert.Equal("\"guarded\"", await fixture.Http.ReadAsync(Ns, key));

        using (var allowed = await fixture.Http.PutAsync(Ns, key, "new value", query: "args=" + Uri.EscapeDataString("{\"password\":\"pw\"}")))
            await RestCalls.ExpectAsync(allowed, HttpStatusCode.OK);
        Assert.Equal("new value", await fixture.HttpOf(1).ReadAsync(Ns, key));
    }

    [Fact]
    public async Task A_handler_error_on_get_is_422_with_the_lua_message_and_line()
    {
        var key = ClusterFixture.NewKey("get-error");
        using (var put = await fixture.Http.PutAsoAsync(Ns, key, "aso.value = 1\nfunction aso:onGet(caller)\n  return nil + 1\nend"))
            await RestCalls.ExpectAsync(put, HttpStatusCode.Created);
        using var get = await fixture.HttpOf(1).GetAsync(Ns, key);
        var message = await RestCalls.ExpectErrorAsync(get, HttpStatusCode.UnprocessableEntity, "HandlerError");
        Assert.Contains("line 3", message, StringComparison.Ordinal);
        Assert.Contains("arithmetic", message, StringComparison.Ordinal);
    }

    /// <summary>A body whose length HttpClient cannot know, so it is sent chunked.</summary>
    private sealed class UnknownLengthStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
