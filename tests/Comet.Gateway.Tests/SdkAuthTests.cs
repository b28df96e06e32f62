using System.Net;
using System.Text;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Protocol;
using Comet.Grains;
using Comet.Gateway.Tests.Support;

namespace Comet.Gateway.Tests;

/// <summary>
/// The SDK's side of the same checks: a plain Orleans client puts its API key in the request context; the silo's
/// call filter refuses a wrong key (Unauthorized) or another namespace's (Forbidden) before the coordinator runs,
/// and no client may call a replica grain directly.
/// </summary>
[Collection(RestCollection.Name)]
public sealed class SdkAuthTests(RestClusterFixture fixture) : IAsyncLifetime
{
    private const string Alpha = RestClusterFixture.Alpha;
    private OrleansClient _client = null!;

    public async Task InitializeAsync() => _client = await OrleansClient.ConnectAsync(fixture.Cluster.Silos[1]);

    public async Task DisposeAsync() => await _client.DisposeAsync();

    private static PutCommand Put(string ns, string key, string value) =>
        new(ns, key, ObjectKind.Value, Encoding.UTF8.GetBytes(value), null, null, null, default, null);

    private static GetCommand Get(string ns, string key) => new(ns, key, null, default, null);

    /// <summary>Calls the coordinator with <paramref name="apiKey"/> in the request context (none when null).</summary>
    private static async Task<T> AsAsync<T>(string? apiKey, Func<Task<T>> call)
    {
        RequestContext.Clear();
        if (apiKey is not null) RequestContext.Set(CallerContext.ApiKey, apiKey);
        try
        {
            return await call();
        }
        finally
        {
            RequestContext.Clear();
        }
    }

    private async Task<CometException> RefusedAsync<T>(string? apiKey, Func<ICoordinatorGrain, Task<T>> call) =>
        await Assert.ThrowsAsync<CometException>(() => AsAsync(apiKey, () => call(_client.Coordinator)));

    [Fact]
    public async Task A_valid_key_in_the_request_context_reads_and_writes_its_namespace_and_handlers_see_its_id()
    {
        var (id, key) = await fixture.CreateKeyAsync(Alpha, silo: 2);
        var name = ClusterFixture.NewKey("sdk");
        var put = await AsAsync(key, () => _client.Coordinator.PutAsync(Put(Alpha, name, "from the sdk")));
        Assert.True(put.Created);
        var got = await AsAsync(key, () => _client.Coordinator.GetAsync(Get(Alpha, name)));
        Assert.Equal("from the sdk", Encoding.UTF8.GetString(Assert.Single(got.Items).Data.Span));
        Assert.Equal("from the sdk", await fixture.Http.ReadAsync(Alpha, name, key));

        var who = ClusterFixture.NewKey("who");
        await AsAsync(key, () => _client.Coordinator.PutAsync(new PutCommand(Alpha, who, ObjectKind.Aso, ReadOnlyMemory<byte>.Empty,
            "function aso:onGet(caller) return caller.id end", null, null, default, null)));
        var seen = await AsAsync(key, () => _client.Coordinator.GetAsync(Get(Alpha, who)));
        Assert.Equal($"\"{id}\"", Encoding.UTF8.GetString(Assert.Single(seen.Items).Data.Span));
        Assert.Equal($"\"{id}\"", await fixture.HttpOf(2).ReadAsync(Alpha, who, key));
    }

    [Fact]
    public async Task A_wrong_or_missing_key_is_Unauthorized_and_changes_nothing()
    {
        var (_, key) = await fixture.CreateKeyAsync(Alpha);
        var name = ClusterFixture.NewKey("sdk-wrong");
        using (var seed = await fixture.Http.PutAsync(Alpha, name, "original", key)) await RestCalls.ExpectAsync(seed, HttpStatusCode.Created);
        foreach (var presented in new[] { key[..^4] + "AAAA", "ck_0123456789abcdef_nope", "garbage", null })
        {
            Assert.Equal(CometErrorCode.Unauthorized, (await RefusedAsync(presented, c => c.PutAsync(Put(Alpha, name, "overwritten")))).Code);
            Assert.Equal(CometErrorCode.Unauthorized, (await RefusedAsync(presented, c => c.DeleteAsync(new DeleteCommand(Alpha, name, null, default, null)))).Code);
            Assert.Equal(CometErrorCode.Unauthorized, (await RefusedAsync(presented, c => c.GetAsync(Get(Alpha, name)))).Code);
            Assert.Equal(CometErrorCode.Unauthorized, (await RefusedAsync(presented, c => c.HistoryAsync(new HistoryQuery(Alpha, name)))).Code);
        }
        Assert.Equal("original", await fixture.Http.ReadAsync(Alpha, name, key));
    }

    [Fact]
    public async Task Another_namespaces_key_is_Forbidden_and_changes_nothing()
    {
        var (_, alphaKey) = await fixture.CreateKeyAsync(Alpha);
        var (_, betaKey) = await fixture.CreateKeyAsync(RestClusterFixture.Beta);
        var name = ClusterFixture.NewKey("sdk-cross");
        using (var seed = await fixture.Http.PutAsync(Alpha, name, "alpha's", alphaKey)) await RestCalls.ExpectAsync(seed, HttpStatusCode.Created);
        var put = await RefusedAsync(betaKey, c => c.PutAsync(Put(Alpha, name, "beta's")));
        Assert.Equal(CometErrorCode.Forbidden, put.Code);
        Assert.Contains(RestClusterFixture.Beta, put.Message, StringComparison.Ordinal);
        Assert.Equal(CometErrorCode.Forbidden, (await RefusedAsync(betaKey, c => c.GetAsync(Get(Alpha, name)))).Code);
        Assert.Equal(CometErrorCode.Forbidden, (await RefusedAsync(betaKey, c => c.PutAsync(Put(RestClusterFixture.Open, name, "x")))).Code);
        Assert.Equal("alpha's", await fixture.Http.ReadAsync(Alpha, name, alphaKey));
    }

    [Fact]
    public async Task Anonymous_sdk_callers_in_dev_mode_use_open_namespaces_only()
    {
        var name = ClusterFixture.NewKey("sdk-anon");
        var put = await AsAsync(null, () => _client.Coordinator.PutAsync(Put(RestClusterFixture.Open, name, "anonymous")));
        Assert.True(put.Created);
        Assert.Equal("anonymous", await fixture.Http.ReadAsync(RestClusterFixture.Open, name));
        Assert.Equal(CometErrorCode.Unauthorized, (await RefusedAsync(null, c => c.PutAsync(Put(Alpha, name, "x")))).Code);
    }

    [Fact]
    public async Task A_client_calling_a_replica_grain_directly_is_Forbidden_even_with_a_valid_key()
    {
        var (_, key) = await fixture.CreateKeyAsync(Alpha);
        var name = ClusterFixture.NewKey("sdk-replica");
        using (var seed = await fixture.Http.PutAsoAsync(Alpha, name, "aso.secret = 'only through handlers'\nfunction aso:onGet() return 'ok' end", key))
            await RestCalls.ExpectAsync(seed, HttpStatusCode.Created);
        for (var r = 0; r < 3; r++)
        {
            var replica = _client.Client.GetGrain<IReplicaGrain>(ReplicaGrainKey.Format(Alpha, name, r));
            Assert.Equal(CometErrorCode.Forbidden, (await Assert.ThrowsAsync<CometException>(() => AsAsync(key, () => replica.FetchAsync()))).Code);
            Assert.Equal(CometErrorCode.Forbidden, (await Assert.ThrowsAsync<CometException>(() => AsAsync(key, () => replica.InspectAsync()))).Code);
            Assert.Equal(CometErrorCode.Forbidden, (await Assert.ThrowsAsync<CometException>(() => AsAsync(null, () => replica.HistoryAsync()))).Code);
            Assert.Equal(CometErrorCode.Forbidden, (await Assert.ThrowsAsync<CometException>(() => AsAsync(key,
                () => replica.ReadAsync(new ReplicaRead(null, new CallerInfo(null, "forged", null, null)))))).Code);
        }
        Assert.Equal("\"ok\"", await fixture.Http.ReadAsync(Alpha, name, key));
    }
}
