using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Comet.Admin.Api;
using Comet.Gateway.Metrics;
using Comet.Grains;
using Comet.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace Comet.Admin.Tests;

[Collection(AdminClusterCollection.Name)]
public sealed class AdminApiTests(AdminClusterFixture fx)
{
    private const string CountingAso = """
        aso.value = "counted"
        aso.getCount = 0
        function aso:onPut(caller) return true end
        function aso:onGet(caller)
          if caller.args and caller.args.fail then error("asked to fail") end
          self.getCount = self.getCount + 1
          return {self.value, self.getCount}
        end
        """;

    [Fact]
    public async Task Cluster_lists_the_three_silos_active_on_the_ring_with_ports_uptime_and_activations()
    {
        var cluster = await fx.GetAsync<ClusterAnswer>(1, "/admin/cluster");

        Assert.Equal(fx.Silo(1).Settings.SiloId, cluster.Self);
        Assert.Equal(3, cluster.Silos.Count);
        Assert.All(cluster.Silos, s =>
        {
            Assert.Equal("Active", s.Status);
            Assert.True(s.Live);
            Assert.Equal("running", s.State);
            Assert.NotNull(s.Activations);
            Assert.True(s.UptimeSeconds > 0);
            Assert.True(s.PartitionsOwned > 0);
            Assert.Null(s.Error);
            var silo = fx.Cluster.Silos.Single(x => x.Settings.SiloId == s.Id);
            Assert.Equal((silo.Settings.SiloPort, silo.Settings.GatewayPort, silo.Settings.HttpPort), (s.SiloPort, s.GatewayPort, s.HttpPort!.Value));
            Assert.Equal(silo.HttpAddress, s.HttpAddress);
            Assert.StartsWith($"127.0.0.1:{silo.Settings.SiloPort}@", s.Address, StringComparison.Ordinal);
        });
        Assert.Equal(fx.Silo(1).Settings.SiloId, Assert.Single(cluster.Silos, s => s.IsSelf).Id);
        Assert.Equal(cluster.Partitions, cluster.Silos.Sum(s => s.PartitionsOwned));
    }

    [Fact]
    public async Task Ring_gives_every_partition_a_preference_list_of_three_distinct_silos_as_placement_sees_it()
    {
        var ring = await fx.GetAsync<RingAnswer>(0, "/admin/ring");

        var placement = fx.Silo(0).Services.GetRequiredService<RingView>().Current.Ring;
        Assert.Equal(placement.Partitions, ring.Partitions);
        Assert.Equal(3, ring.ReplicationFactor);
        Assert.Equal(ring.Partitions, ring.PreferenceLists.Count);
        Assert.All(ring.PreferenceLists, list => Assert.Equal(3, list.Distinct(StringComparer.Ordinal).Count()));
        Assert.Equal(fx.Cluster.Silos.Select(s => s.Settings.SiloId).Order(StringComparer.Ordinal), ring.Silos);
        Assert.Equal(ring.Partitions, ring.Owned.Values.Sum());
        Assert.All(ring.Owned.Values, owned => Assert.True(owned > 0));
        Assert.Equal(ring.Partitions * 3, ring.Replicas.Values.Sum());
        for (var p = 0; p < ring.Partitions; p++) Assert.Equal(placement.OwnerOf(p), ring.PreferenceLists[p][0]);

        var two = await fx.GetAsync<RingAnswer>(0, "/admin/ring?n=2");
        Assert.All(two.PreferenceLists, list => Assert.Equal(2, list.Length));
    }

    [Fact]
    public async Task Inspecting_a_key_put_through_rest_shows_its_three_replicas_at_the_same_version()
    {
        var key = AdminClusterFixture.NewKey("inspect/passive");
        var version = await fx.PutAsync(key, "hello replicas", silo: 0, query: "w=3&ttl=3600");

        var answer = await fx.GetAsync<KeyAnswer>(2, "/admin/keys/default/" + Uri.EscapeDataString(key));

        Assert.Equal(key, answer.Key);
        Assert.Equal([0, 1, 2], answer.Replicas.Select(r => r.Rank));
        // Each replica grain lives on the silo the ring names for it: the key's preference list.
        Assert.Equal(answer.PreferenceList, answer.Replicas.Select(r => r.Silo));
        Assert.Equal(answer.PreferenceList, answer.Replicas.Select(r => r.RingSilo!));
        Assert.All(answer.Replicas, r =>
        {
            Assert.True(r.Reachable, r.Error);
            var v = Assert.Single(r.Versions);
            Assert.Equal(version, v.Version);
            Assert.Equal("value", v.Kind);
            Assert.Equal("hello replicas", v.Value);
            Assert.Equal(Convert.ToBase64String(Encoding.UTF8.GetBytes("hello replicas")), v.Base64);
            Assert.InRange(v.ExpiresAt!.Value, DateTimeOffset.UtcNow.AddMinutes(59), DateTimeOffset.UtcNow.AddMinutes(61));
            Assert.False(v.Expired);
            Assert.Null(v.Handler);
            Assert.Null(v.State);
        });
    }

    [Fact]
    public async Task Aso_replicas_show_code_state_and_each_replicas_handler_calls_and_failures()
    {
        var key = AdminClusterFixture.NewKey("inspect/aso");
        var version = await fx.PutAsoAsync(key, CountingAso);
        for (var i = 0; i < 4; i++)
        {
            using var get = await fx.Http.GetAsync(AdminClusterFixture.KeyUrl(fx.Silo(i % 3), key, "r=3"));
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        }
        var before = await fx.GetAsync<MetricsAnswer>(0, "/admin/metrics");
        using (var failing = await fx.Http.GetAsync(AdminClusterFixture.KeyUrl(fx.Silo(0), key, "r=3&args=" + Uri.EscapeDataString("""{"fail":true}"""))))
            Assert.Equal(HttpStatusCode.UnprocessableEntity, failing.StatusCode);

        KeyAnswer answer = null!;
        // r=3 answers once 3 replicas answered; each ran its own onGet and counts it on its own.
        await SiloCluster.EventuallyAsync(async () =>
        {
            answer = await fx.GetAsync<KeyAnswer>(1, "/admin/keys/default/" + Uri.EscapeDataString(key));
            return answer.Replicas.All(r => r.Versions.Count == 1 && r.Versions[0].Handler is { Failures: 1 } h && h.Calls >= 5
                && r.Versions[0].State!.Value.GetProperty("getCount").GetInt32() == 4);
        }, "every replica counted 4 gets and 1 failure");

        Assert.All(answer.Replicas, r =>
        {
            Assert.True(r.Reachable, r.Error);
            var v = Assert.Single(r.Versions);
            Assert.Equal(version, v.Version);
            Assert.Equal("aso", v.Kind);
            Assert.Contains("function aso:onGet", v.Code, StringComparison.Ordinal);
            Assert.Equal("counted", v.State!.Value.GetProperty("value").GetString());
            Assert.Equal(4, v.State.Value.GetProperty("getCount").GetInt32());
            Assert.Equal(1, v.Handler!.Failures);
            Assert.True(v.Handler.HeapBytes > 0, $"heap {v.Handler.HeapBytes}");
            Assert.Null(v.Value);
        });

        var after = await fx.GetAsync<MetricsAnswer>(0, "/admin/metrics?scope=cluster");
        Assert.Equal(before.HandlerFailures.GetValueOrDefault("HandlerError") + 1, after.HandlerFailures["HandlerError"]);
        Assert.Equal(before.Errors.GetValueOrDefault("HandlerError") + 1, after.Errors["HandlerError"]);
        Assert.True(after.Cluster!.HandlerFailures["HandlerError"] >= 1);
    }

    [Fact]
    public async Task Metrics_count_the_operations_a_silo_serves_and_reach_the_meter_and_prometheus()
    {
        var silo0 = fx.Silo(0).Settings.SiloId;
        var measured = 0L;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == CometMeter.Name && instrument.Name == "comet.operations") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag.Key == "silo" && (string?)tag.Value == silo0) Interlocked.Add(ref measured, value);
        });
        listener.Start();
        var before = await fx.GetAsync<MetricsAnswer>(0, "/admin/metrics");
        var since = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 1000;

        var prefix = AdminClusterFixture.NewKey("metrics");
        for (var i = 0; i < 5; i++) await fx.PutAsync($"{prefix}/{i}", "v", silo: 0);
        for (var i = 0; i < 3; i++) (await fx.Http.GetAsync(AdminClusterFixture.KeyUrl(fx.Silo(0), $"{prefix}/{i}"))).Dispose();
        (await fx.Http.GetAsync(AdminClusterFixture.KeyUrl(fx.Silo(0), $"{prefix}/0") + "/history")).Dispose();
        using (var missing = await fx.Http.GetAsync(AdminClusterFixture.KeyUrl(fx.Silo(0), $"{prefix}/none")))
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        MetricsAnswer after = null!;
        await SiloCluster.EventuallyAsync(async () =>
        {
            after = await fx.GetAsync<MetricsAnswer>(0, "/admin/metrics?window=30");
            // The current second is not in the series until it ends.
            return after.Series.Where(p => p.T >= since).Sum(p => p.Ops) >= 10;
        }, "the operations show in the per-second series");

        Assert.Equal(silo0, after.Silo);
        Assert.Equal(5, after.Ops["put"].Total - before.Ops["put"].Total);
        Assert.Equal(4, after.Ops["get"].Total - before.Ops["get"].Total);
        Assert.Equal(1, after.Ops["history"].Total - before.Ops["history"].Total);
        Assert.Equal(1, after.Errors["NotFound"] - before.Errors.GetValueOrDefault("NotFound"));
        Assert.False(after.HandlerFailures.ContainsKey("NotFound"));
        Assert.True(after.Ops["put"].PerSecond > 0);
        Assert.NotNull(after.Ops["put"].P50Ms);
        Assert.True(after.Ops["put"].P99Ms >= after.Ops["put"].P50Ms);
        Assert.Equal(60, after.Series.Count);
        Assert.True(after.Activations > 0);
        Assert.True(Interlocked.Read(ref measured) >= 10, $"meter saw {measured}");

        using var prometheus = await fx.Admin.GetAsync(fx.Url(0, "/metrics"));
        var text = await prometheus.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, prometheus.StatusCode);
        Assert.StartsWith("text/plain", prometheus.Content.Headers.ContentType!.MediaType, StringComparison.Ordinal);
        Assert.Contains($"comet_operations_total{{silo=\"{silo0}\",op=\"put\"}} ", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE comet_operation_duration_seconds summary", text, StringComparison.Ordinal);
        Assert.Contains($"comet_errors_total{{silo=\"{silo0}\",code=\"NotFound\"}} ", text, StringComparison.Ordinal);
        Assert.Contains($"comet_live_silos{{silo=\"{silo0}\"}} 3", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Calls_to_the_coordinator_grain_the_sdk_uses_are_counted_with_their_errors()
    {
        var before = await fx.GetAsync<MetricsAnswer>(0, "/admin/metrics");
        var coordinator = fx.Silo(0).Services.GetRequiredService<IGrainFactory>().GetGrain<ICoordinatorGrain>(0);
        var key = AdminClusterFixture.NewKey("sdk");

        await coordinator.PutAsync(new PutCommand("default", key, Abstractions.Protocol.ObjectKind.Value, Encoding.UTF8.GetBytes("v"), null, null, null, new(null, null, null), null));
        await coordinator.GetAsync(new GetCommand("default", key, null, new(null, null, null), null));
        await Assert.ThrowsAsync<Abstractions.Errors.CometException>(() => coordinator.GetAsync(new GetCommand("default", key + "-missing", null, new(null, null, null), null)));

        var after = await fx.GetAsync<MetricsAnswer>(0, "/admin/metrics");
        Assert.Equal(1, after.Ops["put"].Total - before.Ops["put"].Total);
        Assert.Equal(2, after.Ops["get"].Total - before.Ops["get"].Total);
        Assert.Equal(1, after.Errors["NotFound"] - before.Errors.GetValueOrDefault("NotFound"));
    }

    [Fact]
    public async Task Cluster_scope_metrics_sum_every_live_silo()
    {
        var prefix = AdminClusterFixture.NewKey("scope");
        for (var s = 0; s < 3; s++) await fx.PutAsync($"{prefix}/{s}", "v", silo: s);

        var answer = await fx.GetAsync<MetricsAnswer>(1, "/admin/metrics?scope=cluster&window=60");

        var cluster = answer.Cluster!;
        Assert.Equal(fx.Cluster.Silos.Select(s => s.Settings.SiloId).Order(StringComparer.Ordinal), cluster.Silos.Select(s => s.Silo).Order(StringComparer.Ordinal));
        Assert.Equal(answer.Silo, cluster.Silos[0].Silo);
        Assert.All(cluster.Silos, s => Assert.True(s.Reachable, s.Error));
        var perSilo = new List<long>();
        for (var s = 0; s < 3; s++) perSilo.Add((await fx.GetAsync<MetricsAnswer>(s, "/admin/metrics")).Ops["put"].Total);
        Assert.InRange(cluster.TotalsByOp["put"], 3, perSilo.Sum());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key")]
    [InlineData("ck_0123456789abcdef_c2VjcmV0")] // what a namespace API key looks like: never an admin key
    public async Task Admin_endpoints_refuse_a_missing_or_wrong_key_and_change_nothing(string? key)
    {
        using var client = AdminClusterFixture.NewClient(key);
        foreach (var path in new[] { "/admin/cluster", "/admin/silo", "/admin/ring", "/admin/keys/default/x", "/admin/metrics", "/metrics", "/admin/nothing-here", "/admin/namespaces/default/keys" })
        {
            using var response = await client.GetAsync(fx.Url(0, path));
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
            using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal("Unauthorized", error.RootElement.GetProperty("error").GetString());
            Assert.False(string.IsNullOrEmpty(error.RootElement.GetProperty("message").GetString()));
        }
        // The Orleans Dashboard shows grain state too: a browser is asked for the admin key (Basic).
        using (var orleans = await client.GetAsync(fx.Url(0, "/orleans-dashboard/")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, orleans.StatusCode);
            Assert.Equal("Basic", orleans.Headers.WwwAuthenticate.Single().Scheme);
        }

        var target = fx.Silo(2).Settings.SiloId;
        foreach (var action in new[] { "drain", "stop" })
        {
            using var refused = await client.PostAsync(fx.Url(0, $"/admin/silos/{target}/{action}"), null);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }
        using (var create = await client.PostAsync(fx.Url(0, "/admin/namespaces/default/keys"), null))
            Assert.Equal(HttpStatusCode.Unauthorized, create.StatusCode);
        var cluster = await fx.GetAsync<ClusterAnswer>(2, "/admin/cluster");
        Assert.Equal(3, cluster.Silos.Count(s => s.Live));
        Assert.All(cluster.Silos, s => Assert.Equal("running", s.State));
    }

    [Fact]
    public async Task The_admin_key_is_accepted_as_a_header_a_bearer_token_or_a_basic_password()
    {
        using var bearer = AdminClusterFixture.NewClient(null);
        bearer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminClusterFixture.AdminKey);
        var silo = await AdminClusterFixture.GetAsync<LocalSiloAnswer>(bearer, fx.Url(1, "/admin/silo"));
        Assert.Equal(fx.Silo(1).Settings.SiloId, silo.Id);
        Assert.Equal("running", silo.State);
        Assert.Equal(fx.Silo(1).HttpAddress, silo.HttpAddress);
        Assert.Equal(3, silo.LiveSilos.Count);

        using var header = await fx.Admin.GetAsync(fx.Url(1, "/admin/silo"));
        Assert.Equal(HttpStatusCode.OK, header.StatusCode);

        using var basic = AdminClusterFixture.NewClient(null);
        basic.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes("operator:" + AdminClusterFixture.AdminKey)));
        using var orleans = await basic.GetAsync(fx.Url(0, "/orleans-dashboard/"));
        Assert.Equal(HttpStatusCode.OK, orleans.StatusCode);
        Assert.Equal("text/html", orleans.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task The_dashboard_and_the_openapi_document_need_no_key_and_the_dashboard_links_the_orleans_dashboard()
    {
        using var page = await fx.Http.GetAsync(fx.Url(0, "/dashboard"));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("Key inspector", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/orleans-dashboard/\"", html, StringComparison.Ordinal);
        using var script = await fx.Http.GetAsync(fx.Url(0, "/dashboard/app.js"));
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        using var missing = await fx.Http.GetAsync(fx.Url(0, "/dashboard/nope.js"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using var root = await fx.Http.GetAsync(fx.Url(0, "/"));
        Assert.Equal(fx.Url(0, "/dashboard"), root.RequestMessage!.RequestUri!.ToString());
    }

    [Fact]
    public async Task The_openapi_document_parses_and_lists_every_admin_endpoint()
    {
        using var response = await fx.Http.GetAsync(fx.Url(0, "/openapi/v1.json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = doc.RootElement;
        Assert.StartsWith("3.1", root.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        var paths = root.GetProperty("paths");
        foreach (var (path, method) in new[]
        {
            ("/admin/cluster", "get"), ("/admin/silo", "get"), ("/admin/ring", "get"), ("/admin/keys/{ns}/{key}", "get"),
            ("/admin/metrics", "get"), ("/admin/silos/{id}/drain", "post"), ("/admin/silos/{id}/stop", "post"),
            ("/admin/namespaces/{ns}/keys", "post"), ("/admin/namespaces/{ns}/keys", "get"), ("/admin/namespaces/{ns}/keys/{id}", "delete"),
            ("/metrics", "get"), ("/dashboard", "get"), ("/v1/{ns}/keys/{rest}", "put"), ("/v1/{ns}/keys/{rest}", "get"),
        })
        {
            Assert.True(paths.TryGetProperty(path, out var item), "missing path " + path);
            Assert.True(item.TryGetProperty(method, out _), $"missing {method} {path}");
        }
        var cluster = paths.GetProperty("/admin/cluster").GetProperty("get");
        Assert.Equal("#/components/schemas/ClusterAnswer",
            cluster.GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString());
        Assert.True(cluster.GetProperty("responses").TryGetProperty("401", out _));
        Assert.True(cluster.TryGetProperty("security", out _));
        var schemas = root.GetProperty("components").GetProperty("schemas");
        Assert.True(schemas.GetProperty("ClusterAnswer").GetProperty("properties").TryGetProperty("silos", out _));
        Assert.True(schemas.GetProperty("KeyAnswer").GetProperty("properties").TryGetProperty("replicas", out _));
        Assert.Equal("X-Comet-Admin-Key", root.GetProperty("components").GetProperty("securitySchemes").GetProperty("adminKey").GetProperty("name").GetString());
        Assert.False(paths.GetProperty("/dashboard").GetProperty("get").TryGetProperty("security", out _));
    }

    [Fact]
    public async Task Inspecting_a_key_of_an_unknown_namespace_or_controlling_an_unknown_silo_is_a_clear_error()
    {
        using var ns = await fx.Admin.GetAsync(fx.Url(0, "/admin/keys/no-such-ns/k"));
        Assert.Equal(HttpStatusCode.NotFound, ns.StatusCode);
        using (var error = JsonDocument.Parse(await ns.Content.ReadAsStringAsync()))
            Assert.Equal("UnknownNamespace", error.RootElement.GetProperty("error").GetString());

        using var silo = await fx.Admin.PostAsync(fx.Url(0, "/admin/silos/no-such-silo/stop"), null);
        Assert.Equal(HttpStatusCode.NotFound, silo.StatusCode);
        using var badN = await fx.Admin.GetAsync(fx.Url(0, "/admin/ring?n=zero"));
        Assert.Equal(HttpStatusCode.BadRequest, badN.StatusCode);
        using var badWindow = await fx.Admin.GetAsync(fx.Url(0, "/admin/metrics?window=600"));
        Assert.Equal(HttpStatusCode.BadRequest, badWindow.StatusCode);
        using var noKey = await fx.Admin.GetAsync(fx.Url(0, "/admin/keys/default/"));
        Assert.Equal(HttpStatusCode.BadRequest, noKey.StatusCode);
    }

    [Fact]
    public async Task An_api_key_is_created_with_its_secret_once_listed_without_it_and_refused_everywhere_once_revoked()
    {
        var key = AdminClusterFixture.NewKey("keyed");
        using var anonymous = await fx.Http.PutAsync(AdminClusterFixture.KeyUrl(fx.Silo(0), key, ns: AdminClusterFixture.SecureNamespace), new StringContent("x"));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        using var create = await fx.Admin.PostAsJsonAsync(fx.Url(0, $"/admin/namespaces/{AdminClusterFixture.SecureNamespace}/keys"), new { name = "billing service" });
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        var created = (await create.Content.ReadFromJsonAsync<Security.ApiKeyCreatedAnswer>(AdminJson.Options))!;
        Assert.StartsWith($"ck_{created.Id}_", created.Key, StringComparison.Ordinal);
        Assert.Equal("billing service", created.Name);

        // The key works on every silo (the others learn it from the registry grain).
        using var client = AdminClusterFixture.NewClient(null);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created.Key);
        await SiloCluster.EventuallyAsync(async () =>
        {
            for (var s = 0; s < 3; s++)
            {
                using var put = await client.PutAsync(AdminClusterFixture.KeyUrl(fx.Silo(s), key, ns: AdminClusterFixture.SecureNamespace), new StringContent("v" + s));
                if (!put.IsSuccessStatusCode) return false;
            }
            return true;
        }, "the new key is accepted on every silo", TimeSpan.FromSeconds(10));
        using (var other = await client.GetAsync(AdminClusterFixture.KeyUrl(fx.Silo(1), key)))
            Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode); // another namespace

        using var list = await fx.Admin.GetAsync(fx.Url(2, $"/admin/namespaces/{AdminClusterFixture.SecureNamespace}/keys"));
        var listText = await list.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.DoesNotContain(created.Key, listText, StringComparison.Ordinal);
        var listed = JsonSerializer.Deserialize<Security.ApiKeyListAnswer>(listText, AdminJson.Options)!;
        var info = Assert.Single(listed.Keys, k => k.Id == created.Id);
        Assert.False(info.Revoked);
        Assert.Equal("billing service", info.Name);

        using var revoke = await fx.Admin.DeleteAsync(fx.Url(1, $"/admin/namespaces/{AdminClusterFixture.SecureNamespace}/keys/{created.Id}"));
        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        var revokedAt = DateTime.UtcNow;
        await SiloCluster.EventuallyAsync(async () =>
        {
            for (var s = 0; s < 3; s++)
            {
                using var get = await client.GetAsync(AdminClusterFixture.KeyUrl(fx.Silo(s), key, ns: AdminClusterFixture.SecureNamespace));
                if (get.StatusCode != HttpStatusCode.Unauthorized) return false;
            }
            return true;
        }, "the revoked key is refused on every silo", TimeSpan.FromSeconds(5));
        Assert.True(DateTime.UtcNow - revokedAt < TimeSpan.FromSeconds(5));

        var after = await fx.GetAsync<Security.ApiKeyListAnswer>(0, $"/admin/namespaces/{AdminClusterFixture.SecureNamespace}/keys");
        Assert.True(Assert.Single(after.Keys, k => k.Id == created.Id).Revoked);
        using var again = await fx.Admin.DeleteAsync(fx.Url(0, $"/admin/namespaces/{AdminClusterFixture.SecureNamespace}/keys/0123456789abcdef"));
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        using var unknown = await fx.Admin.PostAsync(fx.Url(0, "/admin/namespaces/no-such-ns/keys"), null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var badBody = await fx.Admin.PostAsync(fx.Url(0, $"/admin/namespaces/{AdminClusterFixture.SecureNamespace}/keys"), new StringContent("{not json", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, badBody.StatusCode);
    }
}
