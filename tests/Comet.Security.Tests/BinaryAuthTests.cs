using Comet.Abstractions.Errors;
using Comet.Client;

namespace Comet.Security.Tests;

/// <summary>API keys on the binary protocol (the key travels in the Hello's auth blob): same rules as REST.</summary>
public class BinaryAuthTests : IClassFixture<SecureClusterFixture>
{
    private readonly SecureClusterFixture _f;

    public BinaryAuthTests(SecureClusterFixture fixture) => _f = fixture;

    private static string NewKey() => "bin-" + Guid.NewGuid().ToString("N");

    [Fact]
    public async Task A_client_with_a_valid_key_uses_its_namespace()
    {
        var (_, key) = await _f.CreateKeyAsync("alpha");
        await using var client = await _f.ConnectClientAsync(key, "alpha");
        var name = NewKey();
        await client.PutAsync(name, "v");
        Assert.Equal("v", (await client.GetAsync(name)).AsString());
    }

    [Fact]
    public async Task A_client_without_a_key_is_refused_401_for_a_namespace_that_needs_one_and_nothing_changes()
    {
        var (_, key) = await _f.CreateKeyAsync("alpha");
        var name = NewKey();
        await using (var owner = await _f.ConnectClientAsync(key, "alpha")) await owner.PutAsync(name, "original");

        await using var anonymous = await _f.ConnectClientAsync(null, "alpha");
        Assert.Equal(CometErrorCode.Unauthorized, (await Assert.ThrowsAsync<CometException>(async () => await anonymous.PutAsync(name, "overwritten"))).Code);
        Assert.Equal(CometErrorCode.Unauthorized, (await Assert.ThrowsAsync<CometException>(async () => await anonymous.DeleteAsync(name))).Code);
        Assert.Equal(CometErrorCode.Unauthorized, (await Assert.ThrowsAsync<CometException>(async () => await anonymous.GetAsync(name))).Code);
        Assert.Equal("original", await _f.ReadAsync("alpha", name, key));
    }

    [Fact]
    public async Task A_wrong_key_is_refused_at_the_handshake_with_401()
    {
        var error = await Assert.ThrowsAsync<CometException>(() => _f.ConnectClientAsync("ck_0123456789abcdef_wrong-secret", "alpha"));
        Assert.Equal(CometErrorCode.Unauthorized, error.Code);
    }

    [Fact]
    public async Task Another_namespaces_key_is_refused_403_and_nothing_changes()
    {
        var (_, alphaKey) = await _f.CreateKeyAsync("alpha");
        var (_, betaKey) = await _f.CreateKeyAsync("beta");
        var name = NewKey();
        await using (var owner = await _f.ConnectClientAsync(alphaKey, "alpha")) await owner.PutAsync(name, "alpha's");

        await using var intruder = await _f.ConnectClientAsync(betaKey, "beta");
        var put = await Assert.ThrowsAsync<CometException>(async () => await intruder.PutAsync(name, "beta's", new PutOptions { Namespace = "alpha" }));
        Assert.Equal(CometErrorCode.Forbidden, put.Code);
        var delete = await Assert.ThrowsAsync<CometException>(async () => await intruder.DeleteAsync(name, new DeleteOptions { Namespace = "alpha" }));
        Assert.Equal(CometErrorCode.Forbidden, delete.Code);
        Assert.Equal("alpha's", await _f.ReadAsync("alpha", name, alphaKey));
    }

    [Fact]
    public async Task A_key_revoked_while_its_client_is_connected_is_refused_on_the_open_connection_and_nothing_changes()
    {
        var (_, keeper) = await _f.CreateKeyAsync("alpha");
        var (id, doomed) = await _f.CreateKeyAsync("alpha");
        var name = NewKey();
        await using var client = await _f.ConnectClientAsync(doomed, "alpha");
        await client.PutAsync(name, "before");
        await _f.RevokeKeyAsync("alpha", id, silo: 1);
        await SecureClusterFixture.EventuallyAsync(
            () => Task.FromResult(_f.Cluster.Silos.All(s => !s.Security.Keys.IsActive(id))), "every silo knows the key is revoked");
        Assert.Equal(CometErrorCode.Unauthorized, (await Assert.ThrowsAsync<CometException>(async () => await client.PutAsync(name, "after"))).Code);
        Assert.Equal(CometErrorCode.Unauthorized, (await Assert.ThrowsAsync<CometException>(async () => await client.DeleteAsync(name))).Code);
        var reconnect = await Assert.ThrowsAsync<CometException>(() => _f.ConnectClientAsync(doomed, "alpha"));
        Assert.Equal(CometErrorCode.Unauthorized, reconnect.Code);
        Assert.Equal("before", await _f.ReadAsync("alpha", name, keeper));
    }
}
