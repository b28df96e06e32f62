using Comet.Abstractions.Errors;
using Comet.Abstractions.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace Comet.Client.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class OperationsTests
{
    private const string HelloAso = """
        aso.value = "Hello world!"
        aso.getCount = 0
        function aso:onGet(caller)
          self.getCount = self.getCount + 1
          return {self.value, self.getCount}
        end
        """;

    private readonly ClusterFixture _fixture;

    public OperationsTests(ClusterFixture fixture) => _fixture = fixture;

    private CometClient Client => _fixture.Client;

    [Fact]
    public async Task Put_then_get_returns_the_same_bytes()
    {
        var key = ClusterFixture.NewKey();
        var bytes = new byte[] { 0, 1, 2, 255, 254, 10, 13 };

        var put = await Client.PutAsync(key, bytes);
        var got = await Client.GetAsync(key);

        Assert.True(put.Created);
        Assert.True(put.Replicas >= 2);
        Assert.Equal(ObjectKind.Value, got.Value.Kind);
        Assert.Equal(bytes, got.Value.Bytes.ToArray());
        Assert.Equal(put.Version, got.Value.Version);
        Assert.Null(got.Value.ExpiresAt);
    }

    [Fact]
    public async Task A_second_put_replaces_the_first_and_is_not_created()
    {
        var key = ClusterFixture.NewKey();

        await Client.PutAsync(key, "first");
        var second = await Client.PutAsync(key, "second");
        var got = await Client.GetAsync(key);

        Assert.False(second.Created);
        Assert.False(got.HasSiblings);
        Assert.Equal("second", got.AsString());
    }

    [Fact]
    public async Task An_aso_answers_a_get_with_the_json_its_onGet_returns()
    {
        var key = ClusterFixture.NewKey("aso");

        await Client.PutAsoAsync(key, HelloAso);
        var got = await Client.GetAsync(key);

        Assert.Equal(ObjectKind.Aso, got.Value.Kind);
        var answer = got.Value.AsJson();
        Assert.Equal("Hello world!", answer[0].GetString());
        Assert.True(answer[1].GetInt32() >= 1);
    }

    [Fact]
    public async Task Args_reach_the_aso_handler_as_caller_args_and_an_anonymous_client_is_caller_id_anonymous()
    {
        var key = ClusterFixture.NewKey("aso");
        await Client.PutAsoAsync(key, """
            function aso:onGet(caller)
              return { greeting = "hello " .. caller.args.name, id = caller.id }
            end
            """);

        var got = await Client.GetAsync(key, new GetOptions { Args = new { Name = "ada" } });

        var answer = got.Value.As<Answer>();
        Assert.Equal("hello ada", answer?.Greeting);
        Assert.Equal("anonymous", answer?.Id); // a client without an API key
    }

    private sealed record Answer(string Greeting, string Id);

    [Fact]
    public async Task Code_that_does_not_compile_is_BadCode_from_the_silo()
    {
        var error = await Assert.ThrowsAsync<CometException>(() => Client.PutAsoAsync(ClusterFixture.NewKey(), "function aso:onGet( return end").AsTask());

        Assert.Equal(CometErrorCode.BadCode, error.Code);
    }

    [Fact]
    public async Task An_aso_whose_onUpdate_says_no_rejects_the_put_and_keeps_its_value()
    {
        var key = ClusterFixture.NewKey("once");
        await Client.PutAsoAsync(key, """
            aso.value = "sealed"
            function aso:onUpdate(caller, incoming) return false end
            """);

        var error = await Assert.ThrowsAsync<CometException>(() => Client.PutAsync(key, "overwrite").AsTask());
        var got = await Client.GetAsync(key);

        Assert.Equal(CometErrorCode.Rejected, error.Code);
        Assert.Equal("\"sealed\"", got.Value.AsString());
    }

    [Fact]
    public async Task Delete_then_get_is_NotFound_and_TryGet_is_null()
    {
        var key = ClusterFixture.NewKey();
        await Client.PutAsync(key, "doomed");

        var deleted = await Client.DeleteAsync(key);
        var error = await Assert.ThrowsAsync<CometException>(() => Client.GetAsync(key).AsTask());

        Assert.True(deleted.Replicas >= 2);
        Assert.Equal(CometErrorCode.NotFound, error.Code);
        Assert.Null(await Client.TryGetAsync(key));
    }

    [Fact]
    public async Task A_key_never_stored_is_NotFound()
    {
        var error = await Assert.ThrowsAsync<CometException>(() => Client.GetAsync(ClusterFixture.NewKey("never")).AsTask());

        Assert.Equal(CometErrorCode.NotFound, error.Code);
    }

    [Fact]
    public async Task History_lists_the_kept_versions_newest_first_as_metadata()
    {
        var key = ClusterFixture.NewKey();
        var everyReplica = new PutOptions { W = 3 }; // so no replica that lags still lists v1 as live
        var first = await Client.PutAsync(key, "v1", everyReplica);
        var second = await Client.PutAsync(key, "v2-longer", everyReplica);

        var history = await Client.HistoryAsync(key);

        Assert.True(history.Count >= 2);
        Assert.Equal(second.Version, history[0].Version);
        Assert.True(history[0].Live);
        Assert.Equal(ObjectKind.Value, history[0].Kind);
        Assert.Equal(9, history[0].Size);
        Assert.True(history[0].DataKept);
        var older = Assert.Single(history, h => h.Version == first.Version);
        Assert.False(older.Live);
        Assert.Equal(2, older.Size);
        Assert.True(history[0].WrittenAt >= older.WrittenAt);
        Assert.Null(history[0].ExpiresAt);
    }

    [Fact]
    public async Task A_kept_version_can_be_read_by_its_id()
    {
        var key = ClusterFixture.NewKey();
        var first = await Client.PutAsync(key, "v1");
        await Client.PutAsync(key, "v2");

        var old = await Client.GetAsync(key, new GetOptions { Version = first.Version });

        Assert.Equal("v1", old.AsString());
        Assert.Equal(first.Version, old.Value.Version);
    }

    [Fact]
    public async Task Two_puts_from_the_same_context_become_siblings_and_a_put_with_the_merged_context_resolves_them()
    {
        var key = ClusterFixture.NewKey("cart");
        await Client.PutAsync(key, "base");
        var read = await Client.GetAsync(key);

        await Client.PutAsync(key, "left", new PutOptions { Context = read.Context });
        await Client.PutAsync(key, "right", new PutOptions { Context = read.Context });
        var conflicted = await Client.GetAsync(key);

        Assert.True(conflicted.HasSiblings);
        Assert.Equal(2, conflicted.Versions.Count);
        Assert.Equal(["left", "right"], conflicted.Versions.Select(v => v.AsString()).Order().ToArray());
        var error = Assert.Throws<CometSiblingsException>(() => conflicted.Value);
        Assert.Equal(conflicted.Context, error.Context);

        await Client.PutAsync(key, "left+right", new PutOptions { Context = conflicted.Context });
        var resolved = await Client.GetAsync(key);

        Assert.False(resolved.HasSiblings);
        Assert.Equal("left+right", resolved.AsString());
    }

    [Fact]
    public async Task A_value_with_a_ttl_expires_and_is_then_NotFound()
    {
        var key = ClusterFixture.NewKey("ttl");
        var put = await Client.PutAsync(key, "short-lived", new PutOptions { TtlSeconds = 1 });
        Assert.NotNull(put.Version);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        CometGetResult? result;
        do
        {
            result = await Client.TryGetAsync(key);
            if (result is not null)
            {
                Assert.NotNull(result.Value.ExpiresAt);
                await Task.Delay(200);
            }
        }
        while (result is not null && DateTime.UtcNow < deadline);

        Assert.Null(result);
    }

    [Fact]
    public async Task N_R_W_of_1_store_on_one_replica()
    {
        var key = ClusterFixture.NewKey();

        var put = await Client.PutAsync(key, "single", new PutOptions { N = 1, W = 1 });
        var got = await Client.GetAsync(key, new GetOptions { N = 1, R = 1 });

        Assert.Equal(1, put.Replicas);
        Assert.Equal("single", got.AsString());
    }

    [Fact]
    public async Task A_write_quorum_larger_than_the_namespaces_n_is_BadRequest_from_the_silo()
    {
        var error = await Assert.ThrowsAsync<CometException>(() => Client.PutAsync(ClusterFixture.NewKey(), "v", new PutOptions { W = 4 }).AsTask());

        Assert.Equal(CometErrorCode.BadRequest, error.Code);
        Assert.Contains("w=4", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_write_quorum_larger_than_n_is_BadRequest()
    {
        var error = await Assert.ThrowsAsync<CometException>(() => Client.PutAsync(ClusterFixture.NewKey(), "v", new PutOptions { N = 1, W = 2 }).AsTask());

        Assert.Equal(CometErrorCode.BadRequest, error.Code);
    }

    [Fact]
    public async Task An_unknown_namespace_is_refused_by_the_silo()
    {
        var error = await Assert.ThrowsAsync<CometException>(() => Client.PutAsync("k", "v", new PutOptions { Namespace = "no-such-app" }).AsTask());

        Assert.Equal(CometErrorCode.UnknownNamespace, error.Code);
    }

    [Fact]
    public async Task The_cluster_lists_every_silo_with_its_ports_and_status()
    {
        var silos = await Client.GetClusterAsync();

        Assert.Equal(_fixture.Cluster.Silos.Select(s => s.Id).Order(), silos.Select(s => s.Id));
        foreach (var silo in _fixture.Cluster.Silos)
        {
            var listed = silos.Single(s => s.Id == silo.Id);
            Assert.Equal(silo.GatewayPort, listed.GatewayPort);
            Assert.Equal(silo.SiloPort, listed.SiloPort);
            Assert.Equal(-1, listed.HttpPort);
            Assert.Equal("127.0.0.1", listed.Host);
            Assert.Equal("Active", listed.Status);
        }
    }

    [Fact]
    public async Task A_thousand_concurrent_gets_over_one_client_all_get_their_own_value()
    {
        var keys = Enumerable.Range(0, 25).Select(i => ClusterFixture.NewKey($"many-{i}")).ToArray();
        foreach (var key in keys) await Client.PutAsync(key, "value of " + key);

        var gets = Enumerable.Range(0, 1000).Select(async i =>
        {
            var key = keys[i % keys.Length];
            var result = await Client.GetAsync(key);
            return (key, value: result.AsString());
        });
        var results = await Task.WhenAll(gets);

        Assert.Equal(1000, results.Length);
        Assert.All(results, r => Assert.Equal("value of " + r.key, r.value));
    }

    [Fact]
    public async Task A_request_with_a_cancelled_token_is_cancelled_and_sends_nothing()
    {
        await using var client = await _fixture.ConnectAsync();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetAsync("k", cancellationToken: cancelled.Token).AsTask());

        Assert.Equal(0, client.Statistics.Requests);
    }

    [Fact]
    public async Task Cancelling_a_request_the_silo_holds_ends_it_and_the_client_stays_usable()
    {
        await using var client = await _fixture.ConnectAsync(o => o.RequestTimeout = TimeSpan.FromMinutes(5));
        var key = ClusterFixture.NewKey();
        await client.PutAsync(key, "held");

        using (var stall = StalledCalls.Begin())
        {
            for (var round = 0; round < 2; round++)
            {
                using var cancellation = new CancellationTokenSource();
                var pending = Held(stall, () => client.GetAsync(key, cancellationToken: cancellation.Token).AsTask());
                while (stall.Held < round + 1) await Task.Delay(10); // the get reached the silo, which holds it
                Assert.False(pending.IsCompleted);

                await cancellation.CancelAsync();

                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
            }
        }

        Assert.Equal("held", (await client.GetAsync(key)).AsString());
    }

    /// <summary>Starts <paramref name="call"/> in an async flow of its own that carries the stall's marker.</summary>
    private static Task<T> Held<T>(StalledCalls.Stall stall, Func<Task<T>> call) => Task.Run(() =>
    {
        stall.Apply();
        return call();
    });

    [Fact]
    public async Task A_client_over_a_silos_own_cluster_client_works_and_leaves_it_running()
    {
        var hosted = _fixture.Cluster.Silos[1].Host.Services.GetRequiredService<IClusterClient>();
        var key = ClusterFixture.NewKey("in-silo");

        await using (var inSilo = CometClient.Create(hosted))
        {
            await inSilo.PutAsync(key, "from inside");
            Assert.Equal("from inside", (await inSilo.GetAsync(key)).AsString());
        }

        await using var again = CometClient.Create(hosted);
        Assert.Equal("from inside", (await again.GetAsync(key)).AsString());
        Assert.Equal("from inside", (await Client.GetAsync(key)).AsString());
    }
}
