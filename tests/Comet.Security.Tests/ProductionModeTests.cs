using Comet.Abstractions.Versions;
using Comet.Abstractions.Options;
using System.Net;
using Comet.Abstractions.Errors;
using Comet.Client;
using Comet.Grid.Hosting;

namespace Comet.Security.Tests;

/// <summary>Outside dev mode nothing is anonymous, not even from loopback, not even a namespace that allows it.</summary>
public sealed class ProductionModeTests : IAsyncLifetime
{
    private TestCluster _cluster = null!;
    private readonly SecureHttp _http = new();

    public async Task InitializeAsync() => _cluster = await TestCluster.StartAsync(new TestClusterOptions
    {
        InitialSilosCount = 1,
        ConfigureSilo = o =>
        {
            o.DevMode = false;
            o.Admin.Key = SecureClusterFixture.AdminKey;
            o.Security.ClusterSecret = "production-secret";
            o.Namespaces["default"] = new NamespaceOptions { N = 1, R = 1, W = 1, AllowAnonymous = true };
        },
        ConfigureHttp = (app, silo) => Comet.Admin.AdminHttp.MapCometAdmin(app, silo),
    });

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task Anonymous_rest_requests_are_refused_and_a_key_is_required()
    {
        var silo = _cluster.Primary;
        using var anonymous = await _http.PutAsync(silo, "default", "prod", "v", apiKey: null);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        var key = await _http.CreateKeyAsync(silo, "default");
        using var keyed = await _http.PutAsync(silo, "default", "prod", "v", key);
        Assert.Equal(HttpStatusCode.Created, keyed.StatusCode);
    }

    [Fact]
    public async Task A_binary_client_without_a_key_is_refused_at_the_handshake()
    {
        var gateways = new[] { $"127.0.0.1:{_cluster.Primary.GatewayPort}" };
        var error = await Assert.ThrowsAsync<CometException>(() => CometClient.ConnectAsync(new CometClientOptions { Gateways = gateways }));
        Assert.Equal(CometErrorCode.Unauthorized, error.Code);
        var key = await _http.CreateKeyAsync(_cluster.Primary, "default");
        await using var client = await CometClient.ConnectAsync(new CometClientOptions { Gateways = gateways, ApiKey = key });
        await client.PutAsync("prod-binary", "v");
        Assert.Equal("v", (await client.GetAsync("prod-binary")).AsString());
    }
}
