using System.Net;
using System.Text;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Protocol;
using Comet.Gateway.Tests.Support;
using Comet.Grains;

namespace Comet.Gateway.Tests;

/// <summary>One silo with <c>Comet:Silo:DevMode=false</c>; <c>default</c> says it allows anonymous callers, which only dev mode honours.</summary>
public sealed class ProductionClusterFixture : ClusterFixture
{
    protected override int Silos => 1;

    protected override IDictionary<string, string?> Configuration => new Dictionary<string, string?>
    {
        ["Comet:Silo:DevMode"] = "false",
        ["Comet:Silo:Namespaces:default:AllowAnonymous"] = "true",
        ["Comet:Silo:Namespaces:default:N"] = "1",
        ["Comet:Silo:Namespaces:default:R"] = "1",
        ["Comet:Silo:Namespaces:default:W"] = "1",
    };
}

[CollectionDefinition(Name)]
public sealed class ProductionCollection : ICollectionFixture<ProductionClusterFixture>
{
    public const string Name = "production mode";
}

/// <summary>Outside dev mode nothing is anonymous: not from loopback, not on a namespace that allows it, not over the SDK.</summary>
[Collection(ProductionCollection.Name)]
public sealed class ProductionModeTests(ProductionClusterFixture fixture)
{
    [Fact]
    public async Task Anonymous_rest_requests_are_refused_with_401_even_from_loopback_and_a_key_is_required()
    {
        var name = ClusterFixture.NewKey("prod");
        using (var anonymous = await fixture.Http.PutAsync("default", name, "v"))
        {
            var message = await RestCalls.ExpectErrorAsync(anonymous, HttpStatusCode.Unauthorized, "Unauthorized");
            Assert.Contains("API key", message, StringComparison.Ordinal);
        }
        using (var get = await fixture.Http.GetAsync("default", name)) await RestCalls.ExpectErrorAsync(get, HttpStatusCode.Unauthorized, "Unauthorized");
        // Nor does an anonymous caller learn which namespaces exist.
        using (var unknown = await fixture.Http.GetAsync("nosuchns", name)) await RestCalls.ExpectErrorAsync(unknown, HttpStatusCode.Unauthorized, "Unauthorized");

        var (_, key) = await fixture.CreateKeyAsync("default");
        Assert.Null(await fixture.Http.ReadAsync("default", name, key));
        using (var keyed = await fixture.Http.PutAsync("default", name, "v", key)) await RestCalls.ExpectAsync(keyed, HttpStatusCode.Created);
        Assert.Equal("v", await fixture.Http.ReadAsync("default", name, key));
    }

    [Fact]
    public async Task An_sdk_client_without_a_key_is_Unauthorized_and_one_with_a_key_is_served()
    {
        await using var client = await OrleansClient.ConnectAsync(fixture.Cluster.Silos[0]);
        var name = ClusterFixture.NewKey("prod-sdk");
        var put = new PutCommand("default", name, ObjectKind.Value, Encoding.UTF8.GetBytes("v"), null, null, null, default, null);
        RequestContext.Clear();
        var refused = await Assert.ThrowsAsync<CometException>(() => client.Coordinator.PutAsync(put));
        Assert.Equal(CometErrorCode.Unauthorized, refused.Code);

        var (_, key) = await fixture.CreateKeyAsync("default");
        RequestContext.Set(CallerContext.ApiKey, key);
        try
        {
            Assert.True((await client.Coordinator.PutAsync(put)).Created);
            var got = await client.Coordinator.GetAsync(new GetCommand("default", name, null, default, null));
            Assert.Equal("v", Encoding.UTF8.GetString(Assert.Single(got.Items).Data.Span));
        }
        finally
        {
            RequestContext.Clear();
        }
    }
}
