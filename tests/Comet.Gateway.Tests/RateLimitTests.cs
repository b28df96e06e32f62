using System.Net;
using System.Text;
using System.Text.Json;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Protocol;
using Comet.Gateway.Security;
using Comet.Gateway.Tests.Support;
using Comet.Grains;

namespace Comet.Gateway.Tests;

/// <summary>One silo whose token buckets refill one token per 10 s: a test's requests all fall within one burst.</summary>
public sealed class RateLimitClusterFixture : ClusterFixture
{
    public const int ClientBurst = 4;
    public const int ObjectBurst = 6;
    public const string Ns = "limited";

    protected override int Silos => 1;

    protected override IDictionary<string, string?> Configuration => new Dictionary<string, string?>
    {
        ["Comet:Silo:Namespaces:limited:N"] = "1",
        ["Comet:Silo:Namespaces:limited:R"] = "1",
        ["Comet:Silo:Namespaces:limited:W"] = "1",
        ["Comet:Silo:Namespaces:default:N"] = "1",
        ["Comet:Silo:Namespaces:default:R"] = "1",
        ["Comet:Silo:Namespaces:default:W"] = "1",
        ["Comet:Silo:Security:RateLimits:ClientRequestsPerSecond"] = "0.1",
        ["Comet:Silo:Security:RateLimits:ClientBurst"] = ClientBurst.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Comet:Silo:Security:RateLimits:ObjectRequestsPerSecond"] = "0.1",
        ["Comet:Silo:Security:RateLimits:ObjectBurst"] = ObjectBurst.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

[CollectionDefinition(Name)]
public sealed class RateLimitCollection : ICollectionFixture<RateLimitClusterFixture>
{
    public const string Name = "rate limits";
}

/// <summary>Per-client and per-object token buckets: the request past the burst is refused with 429 and when to retry.</summary>
[Collection(RateLimitCollection.Name)]
public sealed class RateLimitTests(RateLimitClusterFixture fixture)
{
    private const string Ns = RateLimitClusterFixture.Ns;

    private static async Task AssertRateLimitedAsync(HttpResponseMessage response, string mentions)
    {
        var message = await RestCalls.ExpectErrorAsync(response, HttpStatusCode.TooManyRequests, "RateLimited");
        Assert.True(response.Headers.RetryAfter?.Delta is { } delta && delta >= TimeSpan.FromSeconds(1), $"Retry-After: {response.Headers.RetryAfter}");
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(json.RootElement.GetProperty("retryAfterMs").GetInt64() > 0);
        Assert.Contains(mentions, message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_past_its_burst_gets_429_with_a_retry_hint_its_put_changes_nothing_and_other_clients_are_unaffected()
    {
        var (_, key) = await fixture.CreateKeyAsync(Ns);
        var prefix = ClusterFixture.NewKey("client");
        for (var i = 0; i < RateLimitClusterFixture.ClientBurst; i++)
        {
            using var ok = await fixture.Http.PutAsync(Ns, $"{prefix}-{i}", "v" + i, key);
            await RestCalls.ExpectAsync(ok, HttpStatusCode.Created);
        }
        using (var refused = await fixture.Http.PutAsync(Ns, $"{prefix}-0", "changed", key))
            await AssertRateLimitedAsync(refused, "requests per second");
        var (_, other) = await fixture.CreateKeyAsync(Ns);
        Assert.Equal("v0", await fixture.Http.ReadAsync(Ns, $"{prefix}-0", other));
    }

    [Fact]
    public async Task One_object_past_its_burst_gets_429_whoever_asks()
    {
        var (_, a) = await fixture.CreateKeyAsync(Ns);
        var (_, b) = await fixture.CreateKeyAsync(Ns);
        var hot = ClusterFixture.NewKey("hot");
        for (var i = 0; i < RateLimitClusterFixture.ObjectBurst / 2; i++)
        {
            using var fromA = await fixture.Http.PutAsync(Ns, hot, "a" + i, a);
            Assert.True(fromA.IsSuccessStatusCode);
            using var fromB = await fixture.Http.PutAsync(Ns, hot, "b" + i, b);
            Assert.True(fromB.IsSuccessStatusCode);
        }
        var (_, c) = await fixture.CreateKeyAsync(Ns);
        using var refused = await fixture.Http.GetAsync(Ns, hot, c);
        await AssertRateLimitedAsync(refused, $"'{hot}'");
    }

    [Fact]
    public async Task An_sdk_client_past_its_burst_gets_RateLimited_with_the_retry_hint_in_the_message()
    {
        var (_, key) = await fixture.CreateKeyAsync(Ns);
        await using var client = await OrleansClient.ConnectAsync(fixture.Cluster.Silos[0]);
        var prefix = ClusterFixture.NewKey("sdk");
        RequestContext.Set(CallerContext.ApiKey, key);
        try
        {
            for (var i = 0; i < RateLimitClusterFixture.ClientBurst; i++)
                await client.Coordinator.PutAsync(new PutCommand(Ns, $"{prefix}-{i}", ObjectKind.Value, Encoding.UTF8.GetBytes("v"), null, null, null, default, null));
            var error = await Assert.ThrowsAsync<CometException>(() => client.Coordinator.GetAsync(new GetCommand(Ns, $"{prefix}-0", null, default, null)));
            Assert.Equal(CometErrorCode.RateLimited, error.Code);
            Assert.True(RateLimitedException.TryReadRetryAfter(error.Message, out var retry) && retry >= TimeSpan.FromSeconds(1), error.Message);
        }
        finally
        {
            RequestContext.Clear();
        }
    }

    [Fact]
    public async Task Anonymous_callers_are_charged_by_their_address()
    {
        var prefix = ClusterFixture.NewKey("anon");
        for (var i = 0; i < RateLimitClusterFixture.ClientBurst; i++)
        {
            using var ok = await fixture.Http.PutAsync("default", $"{prefix}-{i}", "v");
            await RestCalls.ExpectAsync(ok, HttpStatusCode.Created);
        }
        using var refused = await fixture.Http.PutAsync("default", $"{prefix}-x", "v");
        await AssertRateLimitedAsync(refused, "requests per second");
        // A keyed client from the same address has its own bucket.
        var (_, key) = await fixture.CreateKeyAsync(Ns);
        using var keyed = await fixture.Http.PutAsync(Ns, $"{prefix}-keyed", "v", key);
        await RestCalls.ExpectAsync(keyed, HttpStatusCode.Created);
    }
}
