using System.Net;
using System.Text.Json;
using Comet.Abstractions.Errors;
using Comet.Client;

namespace Comet.Grains.Tests.Samples;

/// <summary>one_time_value, flexible_timeout, password_access and access_logging through the SDK (and REST) on a real cluster.</summary>
[Collection(SamplesCollection.Name)]
public sealed class ValueSamplesEndToEndTests
{
    private readonly SamplesClusterFixture _f;

    public ValueSamplesEndToEndTests(SamplesClusterFixture fixture) => _f = fixture;

    [Fact]
    public async Task One_time_value_put_over_rest_as_in_the_readme_is_readable_once_then_404()
    {
        var key = SamplesClusterFixture.Key("otv-rest");
        Assert.Equal(HttpStatusCode.Created, (await _f.RestPutAsoAsync(key, SamplesClusterFixture.Code("one_time_value"))).StatusCode);

        var first = await _f.Http.GetAsync(_f.Url(key));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("The eagle lands at midnight.", JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement.GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await _f.Http.GetAsync(_f.Url(key))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _f.Http.GetAsync(_f.Url(key, silo: 2))).StatusCode);
    }

    [Fact]
    public async Task One_time_value_through_the_sdk_returns_the_secret_once()
    {
        var key = SamplesClusterFixture.Key("otv-sdk");
        await _f.Client.PutAsoAsync(key, SamplesClusterFixture.Code("one_time_value"), new PutOptions { Args = new { value = "pin 4711" } });

        Assert.Equal("pin 4711", (await _f.Client.GetAsync(key)).Value.AsJson().GetString());
        Assert.Null(await _f.Client.TryGetAsync(key));
    }

    [Fact]
    public async Task Flexible_timeout_object_disappears_after_the_lifetime_chosen_by_the_application()
    {
        var key = SamplesClusterFixture.Key("flex");
        await _f.Client.PutAsoAsync(key, SamplesClusterFixture.Code("flexible_timeout"), new PutOptions { Args = new { value = "first", lifetime = 600 } });

        var got = (await _f.Client.GetAsync(key)).Value.AsJson();
        Assert.Equal("first", got.GetProperty("value").GetString());
        Assert.InRange(got.GetProperty("remaining").GetInt64(), 1, 600_000);
        var put = await _f.Client.GetAsync(key);
        Assert.NotNull(put.Value.ExpiresAt); // aso.ttl became the version's expiry

        // A passive put replaces the value and restarts the deadline with the new lifetime.
        await _f.Client.PutAsync(key, "second", new PutOptions { Args = new { lifetime = 1 } });
        await SamplesClusterFixture.EventuallyAsync(async () => await _f.Client.TryGetAsync(key) is null, "the object expired after its new 1 s lifetime");
    }

    [Fact]
    public async Task Password_access_serves_and_updates_only_with_the_password_and_stores_no_password()
    {
        var key = SamplesClusterFixture.Key("pw");
        var code = SamplesClusterFixture.Code("password_access");
        var noPassword = await Assert.ThrowsAsync<CometException>(async () => await _f.Client.PutAsoAsync(key, code, new PutOptions { Args = new { value = "x" } }));
        Assert.Equal(CometErrorCode.Rejected, noPassword.Code);

        await _f.Client.PutAsoAsync(key, code, new PutOptions { Args = new { password = "open sesame", value = "treasure" } });
        Assert.Equal("treasure", (await _f.Client.GetAsync(key, new GetOptions { Args = new { password = "open sesame" } })).Value.AsJson().GetString());

        var wrong = await Assert.ThrowsAsync<CometException>(async () => await _f.Client.GetAsync(key, new GetOptions { Args = new { password = "guess" } }));
        Assert.Equal(CometErrorCode.HandlerError, wrong.Code);
        Assert.Contains("access denied", wrong.Message, StringComparison.Ordinal);

        var badUpdate = await Assert.ThrowsAsync<CometException>(async () => await _f.Client.PutAsync(key, "evil", new PutOptions { Args = new { password = "guess" } }));
        Assert.Equal(CometErrorCode.Rejected, badUpdate.Code);
        await _f.Client.PutAsync(key, "more treasure", new PutOptions { Args = new { password = "open sesame" } });
        Assert.Equal("more treasure", (await _f.Client.GetAsync(key, new GetOptions { Args = new { password = "open sesame" } })).Value.AsJson().GetString());

        var replicas = await _f.ReplicaDataAsync(key);
        Assert.NotEmpty(replicas);
        Assert.All(replicas.Values, data =>
        {
            Assert.Matches("^[0-9a-f]{8}$", data.GetProperty("hash").GetString()!);
            Assert.DoesNotContain("open sesame", data.GetRawText(), StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task Access_logging_keeps_the_last_n_gets_with_caller_ip_and_time()
    {
        var key = SamplesClusterFixture.Key("log");
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await _f.Client.PutAsoAsync(key, SamplesClusterFixture.Code("access_logging"), new PutOptions { Args = new { value = "report", max = 3 } });
        for (var i = 0; i < 5; i++) Assert.Equal("report", (await _f.Client.GetAsync(key, new GetOptions { R = 3 })).Value.AsJson().GetString());

        var result = (await _f.Client.GetAsync(key, new GetOptions { R = 3, Args = new { log = true } })).Value.AsJson();
        Assert.Equal("report", result.GetProperty("value").GetString());
        Assert.Equal(6, result.GetProperty("total").GetInt32()); // every replica served all six r=3 gets
        var log = result.GetProperty("log").EnumerateArray().ToList();
        Assert.Equal(3, log.Count);
        Assert.All(log, e =>
        {
            Assert.False(string.IsNullOrEmpty(e.GetProperty("ip").GetString()));
            Assert.InRange(e.GetProperty("time").GetInt64(), before, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            Assert.Equal("anonymous", e.GetProperty("id").GetString()); // no API key: the anonymous dev-mode caller
        });
        var times = log.Select(e => e.GetProperty("time").GetInt64()).ToList();
        Assert.Equal(times.Order(), times);
    }
}
