using Comet.Abstractions.Errors;
using Comet.Grains;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Comet.Client.Tests.Cluster;

/// <summary>
/// The API key leaves the client in Orleans's request context of every call. An outgoing call filter on the test's
/// own cluster client reads the context each call to the grid carries and stops the call there, so these tests hold
/// whatever the silos do with keys.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ApiKeyTravelTests(ClusterFixture fixture) : IAsyncLifetime
{
    private const string Stopped = "stopped by the test's outgoing filter";

    private readonly List<(string Method, string? ApiKey)> _seen = [];
    private IHost _host = null!;

    private IClusterClient ClusterClient => _host.Services.GetRequiredService<IClusterClient>();

    public async Task InitializeAsync()
    {
        _host = new HostBuilder()
            .UseOrleansClient(client => client
                .UseStaticClustering(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, fixture.Cluster.Silos[0].GatewayPort))
                .Configure<Orleans.Configuration.ClusterOptions>(o =>
                {
                    o.ClusterId = CometCluster.DefaultClusterId;
                    o.ServiceId = CometCluster.DefaultServiceId;
                })
                .AddOutgoingGrainCallFilter(context =>
                {
                    // The client's own calls (its manifest, its gateway observer) go on; the SDK's are seen and stopped.
                    var target = context.InterfaceMethod.DeclaringType;
                    if (target != typeof(ICoordinatorGrain) && target != typeof(IManagementGrain)) return context.Invoke();
                    lock (_seen) _seen.Add((context.InterfaceMethod.Name, RequestContext.Get(CallerContext.ApiKey) as string));
                    throw new CometException(CometErrorCode.Internal, Stopped);
                }))
            .Build();
        await _host.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }

    private static async Task Stop(Func<Task> call)
    {
        var error = await Assert.ThrowsAsync<CometException>(call);
        Assert.Equal(Stopped, error.Message);
    }

    [Fact]
    public void The_sdk_and_the_silos_use_the_same_request_context_key() => Assert.Equal(CallerContext.ApiKey, CometClient.ApiKeyContextKey);

    [Fact]
    public async Task Every_call_carries_the_clients_api_key()
    {
        await using var client = CometClient.Create(ClusterClient, new CometClientOptions { ApiKey = "ck_test_secret" });

        await Stop(() => client.PutAsync("k", "v").AsTask());
        await Stop(() => client.PutAsoAsync("k", "aso.value = 1").AsTask());
        await Stop(() => client.GetAsync("k").AsTask());
        await Stop(() => client.DeleteAsync("k").AsTask());
        await Stop(() => client.HistoryAsync("k").AsTask());
        await Stop(() => client.GetClusterAsync());

        Assert.Equal(["PutAsync", "PutAsync", "GetAsync", "DeleteAsync", "HistoryAsync", "GetDetailedHosts"], _seen.Select(s => s.Method));
        Assert.All(_seen, s => Assert.Equal("ck_test_secret", s.ApiKey));
        Assert.Null(RequestContext.Get(CallerContext.ApiKey)); // the caller's own context is left as it was
    }

    [Fact]
    public async Task A_client_without_a_key_sends_none_even_when_the_callers_context_holds_one()
    {
        await using var client = CometClient.Create(ClusterClient);
        RequestContext.Set(CallerContext.ApiKey, "ck_someone_else");
        try
        {
            await Stop(() => client.GetAsync("k").AsTask());

            Assert.Null(Assert.Single(_seen).ApiKey);
            Assert.Equal("ck_someone_else", RequestContext.Get(CallerContext.ApiKey));
        }
        finally
        {
            RequestContext.Clear();
        }
    }
}
