using Comet.Abstractions.Versions;
using Comet.Abstractions.Options;
using System.Net;
using System.Text.Json;
using Comet.Abstractions.Errors;
using Comet.Client;
using Comet.Grid.Hosting;
using Comet.Grid.Security;

namespace Comet.Security.Tests;

/// <summary>
/// Fair storage admission end to end on one silo: two API-key clients, one flooding. The window is long enough that
/// the whole test runs inside one, so the outcome is a count, not a timing.
/// </summary>
public sealed class FairnessTests : IAsyncLifetime
{
    private const int ValueBytes = 100;
    private const int TtlSeconds = 100;
    private const int WindowPuts = 200;
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    private TestCluster _cluster = null!;
    private readonly SecureHttp _http = new();

    public async Task InitializeAsync()
    {
        // Every key below is 6 bytes ("f-0001"), so every put costs the same.
        var cost = (6 + ValueBytes + 64.0) * TtlSeconds;
        _cluster = await TestCluster.StartAsync(new TestClusterOptions
        {
            InitialSilosCount = 1,
            ConfigureSilo = o =>
            {
                o.Admin.Key = SecureClusterFixture.AdminKey;
                o.Namespaces["fair"] = new NamespaceOptions { N = 1, R = 1, W = 1 };
                o.Security.Admission = new FairAdmissionOptions
                {
                    Window = Window,
                    BudgetPerSecond = WindowPuts * cost / Window.TotalSeconds,
                    ReserveFraction = 0.3,
                    MinimumClientRate = 0.1 * WindowPuts * cost / Window.TotalSeconds,
                };
            },
            ConfigureHttp = (app, silo) => Comet.Admin.AdminHttp.MapCometAdmin(app, silo),
        });
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task A_flooding_client_is_refused_with_a_retry_hint_while_the_other_still_gets_its_share()
    {
        var silo = _cluster.Primary;
        var light = await _http.CreateKeyAsync(silo, "fair");
        var flooder = await _http.CreateKeyAsync(silo, "fair");
        var value = new string('x', ValueBytes);
        var (lightAdmitted, lightAsked, floodAdmitted, floodRefused) = (0, 0, 0, 0);
        HttpResponseMessage? refusal = null;
        for (var i = 0; i < 15; i++)
        {
            for (var j = 0; j < 20; j++)
            {
                var response = await _http.PutAsync(silo, "fair", $"f-{i * 20 + j:0000}", value, flooder, $"ttl={TtlSeconds}");
                if (response.IsSuccessStatusCode) floodAdmitted++;
                else
                {
                    Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
                    floodRefused++;
                    refusal ??= response;
                    continue;
                }
                response.Dispose();
            }
            lightAsked++;
            using var mine = await _http.PutAsync(silo, "fair", $"l-{i:0000}", value, light, $"ttl={TtlSeconds}");
            if (mine.IsSuccessStatusCode) lightAdmitted++;
        }

        // The light client asked for less than its share and got all of it (well above 40%).
        Assert.Equal(lightAsked, lightAdmitted);
        // The flooder got what nobody else was promised (budget minus the light share minus the free reserve), no more.
        Assert.InRange(floodAdmitted, WindowPuts * 0.75, WindowPuts * 0.8);
        Assert.True(floodRefused > 0);

        Assert.NotNull(refusal);
        Assert.True(refusal.Headers.RetryAfter?.Delta is { } delta && delta > TimeSpan.Zero && delta <= Window, $"Retry-After: {refusal.Headers.RetryAfter}");
        using var json = JsonDocument.Parse(await refusal.Content.ReadAsStringAsync());
        Assert.Equal("RateLimited", json.RootElement.GetProperty("error").GetString());
        Assert.InRange(json.RootElement.GetProperty("retryAfterMs").GetInt64(), 1, (long)Window.TotalMilliseconds);
        refusal.Dispose();

        // The same client over the binary protocol gets the same answer, with the hint in the message.
        await using var client = await CometClient.ConnectAsync(new CometClientOptions { Gateways = [$"127.0.0.1:{silo.GatewayPort}"], ApiKey = flooder, DefaultNamespace = "fair" });
        var error = await Assert.ThrowsAsync<CometException>(async () => await client.PutAsync("b-0001", value, new PutOptions { TtlSeconds = TtlSeconds }));
        Assert.Equal(CometErrorCode.RateLimited, error.Code);
        Assert.True(RateLimitedException.TryReadRetryAfter(error.Message, out var retry) && retry > TimeSpan.Zero, error.Message);
        // Reads are not storage: the flooder can still read what it stored.
        using var get = await _http.SendAsync(HttpMethod.Get, $"{silo.HttpAddress}/v1/fair/keys/f-0000", flooder);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
    }
}
