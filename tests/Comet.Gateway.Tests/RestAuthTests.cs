using System.Net;
using System.Text;
using Comet.Gateway.Security;
using Comet.Gateway.Tests.Support;
using Comet.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace Comet.Gateway.Tests;

/// <summary>API keys on the REST gateway: refusals answer 401/403 with the JSON error and change nothing.</summary>
[Collection(RestCollection.Name)]
public sealed class RestAuthTests(RestClusterFixture fixture)
{
    private const string Alpha = RestClusterFixture.Alpha;
    private const string Beta = RestClusterFixture.Beta;

    public enum Presented
    {
        Nothing,
        WrongSecretOfARealKey,
        UnknownKeyId,
        NotAKeyAtAll,
        AnotherScheme,
    }

    private async Task SeedAsync(string ns, string key, string apiKey, string value)
    {
        using var put = await fixture.Http.PutAsync(ns, key, value, apiKey);
        await RestCalls.ExpectAsync(put, HttpStatusCode.Created);
    }

    [Fact]
    public async Task A_valid_key_reads_and_writes_its_namespace_through_either_header_on_any_silo()
    {
        var (_, key) = await fixture.CreateKeyAsync(Alpha);
        var name = ClusterFixture.NewKey("valid");
        using (var put = await fixture.HttpOf(1).SendAsync(HttpMethod.Put, RestCalls.KeyPath(Alpha, name), key, RestCalls.Text("one"), keyHeader: HttpCredentials.KeyHeader))
            await RestCalls.ExpectAsync(put, HttpStatusCode.Created);
        Assert.Equal("one", await fixture.HttpOf(2).ReadAsync(Alpha, name, key));
        using (var history = await fixture.Http.SendAsync(HttpMethod.Get, RestCalls.HistoryPath(Alpha, name), key))
            await RestCalls.ExpectAsync(history, HttpStatusCode.OK);
        using (var delete = await fixture.Http.DeleteAsync(Alpha, name, key))
            await RestCalls.ExpectAsync(delete, HttpStatusCode.NoContent);
    }

    [Theory]
    [InlineData(Presented.Nothing)]
    [InlineData(Presented.WrongSecretOfARealKey)]
    [InlineData(Presented.UnknownKeyId)]
    [InlineData(Presented.NotAKeyAtAll)]
    [InlineData(Presented.AnotherScheme)]
    public async Task Without_a_valid_key_every_request_is_401_on_every_silo_and_the_value_is_unchanged(Presented presented)
    {
        var (_, key) = await fixture.CreateKeyAsync(Alpha);
        var name = ClusterFixture.NewKey("unchanged");
        await SeedAsync(Alpha, name, key, "original");
        var (header, value) = presented switch
        {
            Presented.Nothing => ("Authorization", (string?)null),
            Presented.WrongSecretOfARealKey => ("Authorization", "Bearer " + key[..^4] + "AAAA"),
            Presented.UnknownKeyId => ("Authorization", "Bearer ck_0123456789abcdef_not-the-secret"),
            Presented.NotAKeyAtAll => (HttpCredentials.KeyHeader, "not-a-key-at-all"),
            _ => ("Authorization", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("user:" + key))),
        };
        var headers = value is null ? null : new Dictionary<string, string> { [header] = value };
        for (var silo = 0; silo < 3; silo++)
        {
            var http = fixture.HttpOf(silo);
            using (var put = await http.SendAsync(HttpMethod.Put, RestCalls.KeyPath(Alpha, name), content: RestCalls.Text("overwritten"), headers: headers))
                await RestCalls.ExpectErrorAsync(put, HttpStatusCode.Unauthorized, "Unauthorized");
            using (var aso = await http.SendAsync(HttpMethod.Put, RestCalls.KeyPath(Alpha, name), content: RestCalls.Lua("aso.value = 'taken'"), headers: headers))
                await RestCalls.ExpectErrorAsync(aso, HttpStatusCode.Unauthorized, "Unauthorized");
            using (var delete = await http.SendAsync(HttpMethod.Delete, RestCalls.KeyPath(Alpha, name), headers: headers))
                await RestCalls.ExpectErrorAsync(delete, HttpStatusCode.Unauthorized, "Unauthorized");
            using (var get = await http.SendAsync(HttpMethod.Get, RestCalls.KeyPath(Alpha, name), headers: headers))
            {
                await RestCalls.ExpectErrorAsync(get, HttpStatusCode.Unauthorized, "Unauthorized");
                Assert.Contains("Bearer", get.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
            }
            using (var history = await http.SendAsync(HttpMethod.Get, RestCalls.HistoryPath(Alpha, name), headers: headers))
                await RestCalls.ExpectErrorAsync(history, HttpStatusCode.Unauthorized, "Unauthorized");
        }
        Assert.Equal("original", await fixture.Http.ReadAsync(Alpha, name, key));
        using var history2 = await fixture.Http.SendAsync(HttpMethod.Get, RestCalls.HistoryPath(Alpha, name), key);
        Assert.Contains("\"live\":true", await history2.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_key_is_401_even_on_a_namespace_open_to_anonymous_callers()
    {
        using var put = await fixture.Http.PutAsync(RestClusterFixture.Open, ClusterFixture.NewKey("open"), "x", "ck_0123456789abcdef_not-the-secret");
        await RestCalls.ExpectErrorAsync(put, HttpStatusCode.Unauthorized, "Unauthorized");
    }

    [Fact]
    public async Task Another_namespaces_key_is_refused_with_403_and_the_value_is_unchanged()
    {
        var (_, alphaKey) = await fixture.CreateKeyAsync(Alpha);
        var (_, betaKey) = await fixture.CreateKeyAsync(Beta, silo: 1);
        var name = ClusterFixture.NewKey("cross");
        await SeedAsync(Alpha, name, alphaKey, "alpha's");
        using (var put = await fixture.HttpOf(2).PutAsync(Alpha, name, "beta's", betaKey))
            await RestCalls.ExpectErrorAsync(put, HttpStatusCode.Forbidden, "Forbidden");
        using (var delete = await fixture.Http.DeleteAsync(Alpha, name, betaKey))
            await RestCalls.ExpectErrorAsync(delete, HttpStatusCode.Forbidden, "Forbidden");
        using (var get = await fixture.Http.GetAsync(Alpha, name, betaKey))
            await RestCalls.ExpectErrorAsync(get, HttpStatusCode.Forbidden, "Forbidden");
        // An open namespace is not open to a key of another namespace either: a key names its one namespace.
        using (var open = await fixture.Http.PutAsync(RestClusterFixture.Open, name, "x", betaKey))
            await RestCalls.ExpectErrorAsync(open, HttpStatusCode.Forbidden, "Forbidden");
        using (var unknown = await fixture.Http.PutAsync("nosuchns", name, "x", betaKey))
            await RestCalls.ExpectErrorAsync(unknown, HttpStatusCode.Forbidden, "Forbidden");
        Assert.Equal("alpha's", await fixture.Http.ReadAsync(Alpha, name, alphaKey));
        Assert.Null(await fixture.Http.ReadAsync(RestClusterFixture.Open, name));
    }

    [Fact]
    public async Task A_revoked_key_is_refused_on_every_silo_within_seconds_and_changes_nothing()
    {
        var (_, keeper) = await fixture.CreateKeyAsync(Alpha);
        var (id, doomed) = await fixture.CreateKeyAsync(Alpha, silo: 1);
        var name = ClusterFixture.NewKey("revoked");
        await SeedAsync(Alpha, name, doomed, "before");
        Assert.True(await fixture.RevokeKeyAsync(Alpha, id, silo: 2));
        // Reads change nothing, so they probe each silo until it has learnt of the revocation.
        for (var silo = 0; silo < 3; silo++)
        {
            var http = fixture.HttpOf(silo);
            await SiloCluster.EventuallyAsync(async () =>
            {
                using var get = await http.GetAsync(Alpha, name, doomed);
                return get.StatusCode == HttpStatusCode.Unauthorized;
            }, $"silo {silo} refuses the revoked key", TimeSpan.FromSeconds(10));
        }
        for (var silo = 0; silo < 3; silo++)
        {
            using (var put = await fixture.HttpOf(silo).PutAsync(Alpha, name, "after", doomed))
                await RestCalls.ExpectErrorAsync(put, HttpStatusCode.Unauthorized, "Unauthorized");
            using (var delete = await fixture.HttpOf(silo).DeleteAsync(Alpha, name, doomed))
                await RestCalls.ExpectErrorAsync(delete, HttpStatusCode.Unauthorized, "Unauthorized");
        }
        Assert.Equal("before", await fixture.Http.ReadAsync(Alpha, name, keeper));
        // Revoking is scoped: another namespace cannot revoke it, an unknown id is not found.
        Assert.False(await fixture.RevokeKeyAsync(Beta, ApiKeyOf(keeper)));
        Assert.False(await fixture.RevokeKeyAsync(Alpha, "0000000000000000"));
        Assert.Equal("before", await fixture.HttpOf(1).ReadAsync(Alpha, name, keeper));
    }

    [Fact]
    public async Task A_key_created_on_one_silo_works_at_once_on_the_others()
    {
        var (_, key) = await fixture.CreateKeyAsync(Alpha, silo: 2);
        var name = ClusterFixture.NewKey("fresh");
        using var put = await fixture.Http.PutAsync(Alpha, name, "v", key);
        await RestCalls.ExpectAsync(put, HttpStatusCode.Created);
        Assert.Equal("v", await fixture.HttpOf(1).ReadAsync(Alpha, name, key));
    }

    [Fact]
    public async Task Anonymous_loopback_callers_in_dev_mode_may_use_only_namespaces_that_allow_it()
    {
        var name = ClusterFixture.NewKey("anon");
        using (var open = await fixture.Http.PutAsync(RestClusterFixture.Open, name, "hi"))
            await RestCalls.ExpectAsync(open, HttpStatusCode.Created);
        using var closed = await fixture.Http.PutAsync(Alpha, name, "hi");
        await RestCalls.ExpectErrorAsync(closed, HttpStatusCode.Unauthorized, "Unauthorized");
        Assert.Contains("Bearer", closed.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        var (_, key) = await fixture.CreateKeyAsync(Alpha);
        Assert.Null(await fixture.Http.ReadAsync(Alpha, name, key));
    }

    [Fact]
    public async Task Keys_are_stored_only_as_hashes_and_listed_without_secrets()
    {
        var (id, key) = await fixture.CreateKeyAsync(Beta);
        var secret = key[(ApiKeyToken.Prefix.Length + ApiKeyToken.IdLength + 1)..];
        var store = fixture.Cluster.Silos[1].Services.GetRequiredService<ApiKeyStore>();
        var listed = await store.ListAsync(Beta, CancellationToken.None);
        var record = Assert.Single(listed, k => k.Id == id);
        Assert.DoesNotContain(secret, record.Hash, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, record.ToString(), StringComparison.Ordinal);

        // Nothing the silos wrote holds the secret (the SQLite file and its write-ahead log).
        var secretBytes = Encoding.UTF8.GetBytes(secret);
        var files = Directory.GetFiles(Path.GetDirectoryName(fixture.Cluster.DataPath)!);
        Assert.NotEmpty(files);
        var idSeen = false;
        foreach (var file in files)
        {
            byte[] bytes;
            await using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            {
                bytes = new byte[stream.Length];
                await stream.ReadExactlyAsync(bytes);
            }
            Assert.True(bytes.AsSpan().IndexOf(secretBytes) < 0, $"{Path.GetFileName(file)} holds the key's secret");
            idSeen |= bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(id)) >= 0;
        }
        Assert.True(idSeen, "the key's record is not in these files, so their lack of its secret proves nothing");
    }

    private static string ApiKeyOf(string key) => key.Substring(ApiKeyToken.Prefix.Length, ApiKeyToken.IdLength);
}
