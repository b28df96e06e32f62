using Comet.Abstractions.Errors;

namespace Comet.Client.Tests.Cluster;

/// <summary>How a client finds the cluster through the gateways it is given.</summary>
[Collection(ClusterCollection.Name)]
public sealed class GatewayTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_client_whose_first_gateway_is_down_connects_through_the_next()
    {
        await using var client = await CometClient.ConnectAsync(new CometClientOptions
        {
            Gateways = [Unit.ClosedPort.Gateway(), fixture.Gateway],
        });
        var key = ClusterFixture.NewKey();

        await client.PutAsync(key, "v");

        Assert.Equal("v", (await client.GetAsync(key)).AsString());
        Assert.Equal(3, (await client.GetClusterAsync()).Count);
    }

    [Fact]
    public async Task A_client_with_another_cluster_id_is_unavailable_and_says_to_check_the_ids()
    {
        var error = await Assert.ThrowsAsync<CometException>(() => CometClient.ConnectAsync(new CometClientOptions
        {
            Gateways = [fixture.Gateway],
            ClusterId = "some-other-cluster",
        }));

        Assert.Equal(CometErrorCode.Unavailable, error.Code);
        Assert.Contains("ClusterId", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_that_connects_in_the_background_serves_once_the_gateway_answers()
    {
        await using var client = await CometClient.ConnectAsync(new CometClientOptions
        {
            Gateways = [fixture.Gateway],
            AbortOnConnectFail = false,
        });
        var key = ClusterFixture.NewKey();

        await client.PutAsync(key, "v"); // waits for the first attempt, which succeeds

        Assert.Equal("v", (await client.GetAsync(key)).AsString());
    }
}
