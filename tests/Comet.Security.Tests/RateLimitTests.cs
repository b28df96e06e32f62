using Comet.Abstractions.Versions;
using Comet.Abstractions.Options;
using System.Net;
using System.Text.Json;
using Comet.Abstractions.Errors;
using Comet.Client;
using Comet.Grid.Hosting;
using Comet.Grid.Security;

namespace Comet.Security.Tests;

/// <summary>Per-client and per-object token buckets: the request past the burst is refused with 429 and when to retry.</summary>
public sealed class RateLimitTests : IAsyncLifetime
{
    private const int ClientBurst = 4;
    private const int ObjectBurst = 6;
    private TestCluster _cluster = null!;
    private readonly SecureHttp _http = new();

    public async Task InitializeAsync() => _cluster = await TestCluster.StartAsync(new TestClusterOptions
    {
        InitialSilosCount = 1,
        ConfigureSilo = o =>
        {
            o.Admin.Key = SecureClusterFixture.AdminKey;
            o.Namespaces["limited"] = new NamespaceOptions { N = 1, R = 1, W = 1 };
            // Slow refill (one token per 10 s): the test's requests all fall within one burst.
            o.Security.RateLimits = new RateLimitOptions
            {
                ClientRequestsPerSecond = 0.1,
                ClientBurst = ClientBurst,
                ObjectRequestsPerSecond = 0.1,
                ObjectBurst = ObjectBurst,
            };
        },
        ConfigureHttp = (app, silo) => Comet.Admin.AdminHttp.MapCometAdmin(app, silo),
    });

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _cluster.DisposeAsync();
    }

    private static async Task AssertRateLimitedAsync(HttpResponseMessage response, string mentions)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.TooManyRequests, $"{(int)response.StatusCode} {body}");
        Assert.True(response.Headers.RetryAfter?.Delta is { } delta && delta >= TimeSpan.FromSeconds(1), $"Retry-After: {response.Headers.RetryAfter}");
        using var json = JsonDocument.Parse(body);
        Assert.Equal("RateLimited", json.RootElement.GetProperty("error").GetString());
        Assert.True(json.RootElement.GetProperty("retryAfterMs").GetInt64() > 0);
        Assert.Contains(mentions, json.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_past_its_burst_gets_429_with_a_retry_hint_and_its_put_changes_nothing()
    {
        var silo = _cluster.Primary;
        var key = await _http.CreateKeyAsync(silo, "limited");
        for (var i = 0; i < ClientBurst; i++)
        {
            using var ok = await _http.PutAsync(silo, "limited", "client-" + i, "v" + i, key);
            Assert.True(ok.IsSuccessStatusCode);
        }
        using var refused = await _http.PutAsync(silo, "limited", "client-0", "changed", key);
        await AssertRateLimitedAsync(refused, "requests per second");
        // Another client is not affected, and reads back the unchanged value.
        var other = await _http.CreateKeyAsync(silo, "limited");
        using var get = await _http.SendAsync(HttpMethod.Get, $"{silo.HttpAddress}/v1/limited/keys/client-0", other);
        Assert.Equal("v0", await get.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task One_object_past_its_burst_gets_429_whoever_asks()
    {
        var silo = _cluster.Primary;
        var a = await _http.CreateKeyAsync(silo, "limited");
        var b = await _http.CreateKeyAsync(silo, "limited");
        for (var i = 0; i < ObjectBurst / 2; i++)
        {
            using var fromA = await _http.PutAsync(silo, "limited", "hot", "a" + i, a);
            Assert.True(fromA.IsSuccessStatusCode);
            using var fromB = await _http.PutAsync(silo, "limited", "hot", "b" + i, b);
            Assert.True(fromB.IsSuccessStatusCode);
        }
        var c = await _http.CreateKeyAsync(silo, "limited");
        using var refused = await _http.SendAsync(HttpMethod.Get, $"{silo.HttpAddress}/v1/limited/keys/hot", c);
        await AssertRateLimitedAsync(refused, "'hot'");
    }

    [Fact]
    public async Task The_binary_protocol_answers_RateLimited_with_the_retry_hint_in_the_message()
    {
        var silo = _cluster.Primary;
        var key = await _http.CreateKeyAsync(silo, "limited");
        await using var client = await CometClient.ConnectAsync(new CometClientOptions { Gateways = [$"127.0.0.1:{silo.GatewayPort}"], ApiKey = key, DefaultNamespace = "limited" });
        for (var i = 0; i < ClientBurst; i++) await client.PutAsync("bin-" + i, "v");
        var error = await Assert.ThrowsAsync<CometException>(async () => await client.PutAsync("bin-0", "changed"));
        Assert.Equal(CometErrorCode.RateLimited, error.Code);
        Assert.True(RateLimitedException.TryReadRetryAfter(error.Message, out var retry) && retry >= TimeSpan.FromSeconds(1), error.Message);
    }
}
