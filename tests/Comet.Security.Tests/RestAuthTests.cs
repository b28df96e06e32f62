using System.Net;
using System.Text.Json;
using Comet.Admin;
using Comet.Grid.Security;
using Comet.Storage;

namespace Comet.Security.Tests;

/// <summary>API keys on the REST gateway: refusals answer 401/403 with the JSON error and change nothing.</summary>
public class RestAuthTests : IClassFixture<SecureClusterFixture>
{
    private readonly SecureClusterFixture _f;

    public RestAuthTests(SecureClusterFixture fixture) => _f = fixture;

    private static async Task ExpectErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        using var json = JsonDocument.Parse(body);
        Assert.Equal(code, json.RootElement.GetProperty("error").GetString());
        Assert.False(string.IsNullOrWhiteSpace(json.RootElement.GetProperty("message").GetString()));
    }

    private async Task<string> SeedAsync(string ns, string key, string apiKey, string value)
    {
        using var put = await _f.SendAsync(HttpMethod.Put, _f.KeyUrl(ns, key), apiKey, value);
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        return value;
    }

    [Fact]
    public async Task A_valid_key_reads_and_writes_its_namespace_through_either_header()
    {
        var (_, key) = await _f.CreateKeyAsync("alpha");
        using (var put = await _f.SendAsync(HttpMethod.Put, _f.KeyUrl("alpha", "valid-1", silo: 1), key, "one", keyHeader: HttpCredentials.KeyHeader))
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal("one", await _f.ReadAsync("alpha", "valid-1", key));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("ck_0123456789abcdef_not-the-secret")]
    [InlineData("not-a-key-at-all")]
    public async Task A_put_or_delete_without_a_valid_key_is_refused_with_401_and_the_value_is_unchanged(string? presented)
    {
        var (_, key) = await _f.CreateKeyAsync("alpha");
        var name = "unchanged-" + Guid.NewGuid().ToString("N");
        await SeedAsync("alpha", name, key, "original");
        for (var silo = 0; silo < 3; silo++)
        {
            using var put = await _f.SendAsync(HttpMethod.Put, _f.KeyUrl("alpha", name, silo), presented, "overwritten");
            await ExpectErrorAsync(put, HttpStatusCode.Unauthorized, "Unauthorized");
            using var delete = await _f.SendAsync(HttpMethod.Delete, _f.KeyUrl("alpha", name, silo), presented);
            await ExpectErrorAsync(delete, HttpStatusCode.Unauthorized, "Unauthorized");
            using var get = await _f.SendAsync(HttpMethod.Get, _f.KeyUrl("alpha", name, silo), presented);
            await ExpectErrorAsync(get, HttpStatusCode.Unauthorized, "Unauthorized");
        }
        Assert.Equal("original", await _f.ReadAsync("alpha", name, key));
    }

    [Fact]
    public async Task Another_namespaces_key_is_refused_with_403_and_the_value_is_unchanged()
    {
        var (_, alphaKey) = await _f.CreateKeyAsync("alpha");
        var (_, betaKey) = await _f.CreateKeyAsync("beta");
        var name = "cross-" + Guid.NewGuid().ToString("N");
        await SeedAsync("alpha", name, alphaKey, "alpha's");
        using (var put = await _f.SendAsync(HttpMethod.Put, _f.KeyUrl("alpha", name), betaKey, "beta's"))
            await ExpectErrorAsync(put, HttpStatusCode.Forbidden, "Forbidden");
        using (var delete = await _f.SendAsync(HttpMethod.Delete, _f.KeyUrl("alpha", name), betaKey))
            await ExpectErrorAsync(delete, HttpStatusCode.Forbidden, "Forbidden");
        // An open namespace is not open to a key of another namespace either: a key names its one namespace.
        using (var open = await _f.SendAsync(HttpMethod.Put, _f.KeyUrl("default", name), betaKey, "x"))
            await ExpectErrorAsync(open, HttpStatusCode.Forbidden, "Forbidden");
        Assert.Equal("alpha's", await _f.ReadAsync("alpha", name, alphaKey));
    }

    [Fact]
    public async Task A_revoked_key_is_refused_on_every_silo_within_seconds_and_changes_nothing()
    {
        var (_, keeper) = await _f.CreateKeyAsync("alpha");
        var (id, doomed) = await _f.CreateKeyAsync("alpha", silo: 1);
        var name = "revoked-" + Guid.NewGuid().ToString("N");
        await SeedAsync("alpha", name, doomed, "before");
        await _f.RevokeKeyAsync("alpha", id, silo: 2);
        // Reads change nothing, so they probe each silo until it has learnt of the revocation.
        for (var silo = 0; silo < 3; silo++)
        {
            var url = _f.KeyUrl("alpha", name, silo);
            await SecureClusterFixture.EventuallyAsync(async () =>
            {
                using var get = await _f.SendAsync(HttpMethod.Get, url, doomed);
                return get.StatusCode == HttpStatusCode.Unauthorized;
            }, $"silo {silo} refuses the revoked key");
        }
        for (var silo = 0; silo < 3; silo++)
        {
            using var put = await _f.SendAsync(HttpMethod.Put, _f.KeyUrl("alpha", name, silo), doomed, "after");
            await ExpectErrorAsync(put, HttpStatusCode.Unauthorized, "Unauthorized");
            using var delete = await _f.SendAsync(HttpMethod.Delete, _f.KeyUrl("alpha", name, silo), doomed);
            await ExpectErrorAsync(delete, HttpStatusCode.Unauthorized, "Unauthorized");
        }
        Assert.Equal("before", await _f.ReadAsync("alpha", name, keeper));
    }

    [Fact]
    public async Task Anonymous_callers_on_loopback_in_dev_mode_may_use_only_namespaces_that_allow_it()
    {
        using (var open = await _f.SendAsync(HttpMethod.Put, _f.KeyUrl("default", "anon-" + Guid.NewGuid().ToString("N")), null, "hi"))
            Assert.Equal(HttpStatusCode.Created, open.StatusCode);
        using var closed = await _f.SendAsync(HttpMethod.Put, _f.KeyUrl("alpha", "anon"), null, "hi");
        await ExpectErrorAsync(closed, HttpStatusCode.Unauthorized, "Unauthorized");
        Assert.Contains("Bearer", closed.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Admin_endpoints_refuse_client_api_keys()
    {
        var (_, key) = await _f.CreateKeyAsync("alpha");
        var silo = _f.Cluster.Silos[0].HttpAddress;
        foreach (var (method, path) in new[] { (HttpMethod.Get, "/admin/cluster"), (HttpMethod.Post, "/admin/namespaces/alpha/keys"), (HttpMethod.Get, "/admin/namespaces/alpha/keys") })
        {
            using var bearer = await _f.SendAsync(method, silo + path, key);
            await ExpectErrorAsync(bearer, HttpStatusCode.Unauthorized, "Unauthorized");
            using var header = await _f.SendAsync(method, silo + path, key, keyHeader: AdminKeyGuard.HeaderName);
            await ExpectErrorAsync(header, HttpStatusCode.Unauthorized, "Unauthorized");
        }
    }

    [Fact]
    public async Task Keys_are_listed_by_id_without_secrets_and_stored_only_as_hashes()
    {
        var (id, key) = await _f.CreateKeyAsync("beta");
        var secret = key[(ApiKeyToken.Prefix.Length + ApiKeyToken.IdLength + 1)..];
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{_f.Cluster.Silos[2].HttpAddress}/admin/namespaces/beta/keys");
        request.Headers.Add(AdminKeyGuard.HeaderName, SecureClusterFixture.AdminKey);
        using var response = await _f.Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(id, body, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, body, StringComparison.Ordinal);

        var table = await _f.Cluster.Storage.OpenTableAsync(ApiKeyStore.TableName);
        var rows = 0;
        await foreach (var row in table.QueryAllAsync(RowQuery.All))
        {
            rows++;
            Assert.DoesNotContain(secret, System.Text.Encoding.UTF8.GetString(row.Data.Span), StringComparison.Ordinal);
        }
        Assert.True(rows > 0);
    }

    [Fact]
    public async Task Revoking_an_unknown_key_or_a_key_of_another_namespace_is_404()
    {
        var (id, _) = await _f.CreateKeyAsync("alpha");
        foreach (var path in new[] { $"/admin/namespaces/beta/keys/{id}", "/admin/namespaces/alpha/keys/0000000000000000", "/admin/namespaces/nosuch/keys/" + id })
        {
            using var request = new HttpRequestMessage(HttpMethod.Delete, _f.Cluster.Silos[0].HttpAddress + path);
            request.Headers.Add(AdminKeyGuard.HeaderName, SecureClusterFixture.AdminKey);
            using var response = await _f.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
    }
}
