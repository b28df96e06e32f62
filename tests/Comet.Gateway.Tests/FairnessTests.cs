using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Protocol;
using Comet.Gateway.Security;
using Comet.Gateway.Tests.Support;
using Comet.Grains;

namespace Comet.Gateway.Tests;

/// <summary>
/// One silo whose storage admission window (5 min) holds <see cref="WindowPuts"/> puts of the test's size, 30% kept
/// for newcomers, each new client promised 10%. The whole test runs inside one window, so outcomes are counts.
/// </summary>
public sealed class FairnessClusterFixture : ClusterFixture
{
    public const int ValueBytes = 100;
    public const int TtlSeconds = 100;
    public const int WindowPuts = 200;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    /// <summary>Every key is 6 bytes ("f-0001"), so every put costs the same: (key + value + 64 overhead) × ttl.</summary>
    public const double Cost = (6 + ValueBytes + 64.0) * TtlSeconds;

    protected override int Silos => 1;

    protected override IDictionary<string, string?> Configuration => new Dictionary<string, string?>
    {
        ["Comet:Silo:Namespaces:fair:N"] = "1",
        ["Comet:Silo:Namespaces:fair:R"] = "1",
        ["Comet:Silo:Namespaces:fair:W"] = "1",
        ["Comet:Silo:Security:Admission:Window"] = Window.ToString("c", CultureInfo.InvariantCulture),
        ["Comet:Silo:Security:Admission:BudgetPerSecond"] = (WindowPuts * Cost / Window.TotalSeconds).ToString("R", CultureInfo.InvariantCulture),
        ["Comet:Silo:Security:Admission:ReserveFraction"] = "0.3",
        ["Comet:Silo:Security:Admission:MinimumClientRate"] = (0.1 * WindowPuts * Cost / Window.TotalSeconds).ToString("R", CultureInfo.InvariantCulture),
    };
}

[CollectionDefinition(Name)]
public sealed class FairnessCollection : ICollectionFixture<FairnessClusterFixture>
{
    public const string Name = "fair admission";
}

/// <summary>Fair storage admission end to end: two API-key clients, one flooding.</summary>
[Collection(FairnessCollection.Name)]
public sealed class FairnessTests(FairnessClusterFixture fixture)
{
    [Fact]
    public async Task A_flooding_client_is_refused_with_a_retry_hint_while_a_light_one_still_gets_its_share()
    {
        const int ttl = FairnessClusterFixture.TtlSeconds;
        var (_, light) = await fixture.CreateKeyAsync("fair");
        var (_, flooder) = await fixture.CreateKeyAsync("fair");
        var value = new string('x', FairnessClusterFixture.ValueBytes);
        var (lightAdmitted, lightAsked, floodAdmitted, floodRefused) = (0, 0, 0, 0);
        HttpResponseMessage? refusal = null;
        for (var i = 0; i < 15; i++)
        {
            for (var j = 0; j < 20; j++)
            {
                var response = await fixture.Http.PutAsync("fair", $"f-{i * 20 + j:0000}", value, flooder, $"ttl={ttl}");
                if (response.IsSuccessStatusCode)
                {
                    floodAdmitted++;
                    response.Dispose();
                    continue;
                }
                Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
                floodRefused++;
                if (refusal is null) refusal = response;
                else response.Dispose();
            }
            lightAsked++;
            using var mine = await fixture.Http.PutAsync("fair", $"l-{i:0000}", value, light, $"ttl={ttl}");
            if (mine.IsSuccessStatusCode) lightAdmitted++;
        }

        // The light client asked for less than its share and got all of it.
        Assert.Equal(lightAsked, lightAdmitted);
        // The flooder got what nobody else was promised (budget minus the light share minus the free reserve), no more.
        Assert.InRange(floodAdmitted, FairnessClusterFixture.WindowPuts * 0.75, FairnessClusterFixture.WindowPuts * 0.8);
        Assert.True(floodRefused > 0);

        Assert.NotNull(refusal);
        using (refusal)
        {
            await RestCalls.ExpectErrorAsync(refusal, HttpStatusCode.TooManyRequests, "RateLimited");
            Assert.True(refusal.Headers.RetryAfter?.Delta is { } delta && delta > TimeSpan.Zero && delta <= FairnessClusterFixture.Window,
                $"Retry-After: {refusal.Headers.RetryAfter}");
            using var json = JsonDocument.Parse(await refusal.Content.ReadAsStringAsync());
            Assert.InRange(json.RootElement.GetProperty("retryAfterMs").GetInt64(), 1, (long)FairnessClusterFixture.Window.TotalMilliseconds);
        }
        // The refused puts stored nothing.
        using (var refusedKey = await fixture.Http.GetAsync("fair", "f-0299", flooder))
            await RestCalls.ExpectErrorAsync(refusedKey, HttpStatusCode.NotFound, "NotFound");

        // The same client over the SDK gets the same answer, with the hint in the message.
        await using var client = await OrleansClient.ConnectAsync(fixture.Cluster.Silos[0]);
        RequestContext.Set(CallerContext.ApiKey, flooder);
        try
        {
            var put = new PutCommand("fair", "b-0001", ObjectKind.Value, Encoding.UTF8.GetBytes(value), null, null, ttl, default, null);
            var error = await Assert.ThrowsAsync<CometException>(() => client.Coordinator.PutAsync(put));
            Assert.Equal(CometErrorCode.RateLimited, error.Code);
            Assert.True(RateLimitedException.TryReadRetryAfter(error.Message, out var retry) && retry > TimeSpan.Zero, error.Message);
        }
        finally
        {
            RequestContext.Clear();
        }
        // Reads are not storage: the flooder can still read what it stored.
        Assert.Equal(value, await fixture.Http.ReadAsync("fair", "f-0000", flooder));
    }
}
