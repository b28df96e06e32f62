using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Comet.Admin.Api;
using Comet.Grid.Hosting;

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
          local work = 0
          for i = 1, 5000 do work = work + i end -- enough to show in the instruction count
          self.getCount = self.getCount + 1
          return {self.value, self.getCount}
        end
        """;

    [Fact]
    public async Task Cluster_lists_the_three_silos_active_and_on_the_ring()
    {
        var cluster = await fx.GetAsync<ClusterAnswer>(1, "/admin/cluster");

        Assert.Equal(fx.Cluster.Silos[1].Id, cluster.Self);
        Assert.Equal(3, cluster.Silos.Count);
        Assert.All(cluster.Silos, s =>
        {
            Assert.Equal("Active", s.Status);
            Assert.True(s.Live);
            Assert.NotNull(s.Activations);
            Assert.True(s.UptimeSeconds > 0);
            Assert.True(s.PartitionsOwned > 0);
            Assert.Null(s.Error);
            var silo = fx.Cluster.Silos.Single(x => x.Id == s.Id);
            Assert.Equal((silo.SiloPort, silo.GatewayPort, silo.HttpPort), (s.SiloPort, s.GatewayPort, s.HttpPort));
        });
        Assert.Equal(fx.Cluster.Silos[1].Id, Assert.Single(cluster.Silos, s => s.IsSelf).Id);
        Assert.Equal(cluster.Partitions, cluster.Silos.Sum(s => s.PartitionsOwned));
    }

    [Fact]
    public async Task Ring_gives_every_partition_a_preference_list_of_three_distinct_silos()
    {
        var ring = await fx.GetAsync<RingAnswer>(0, "/admin/ring");

        Assert.Equal(256, ring.Partitions);
        Assert.Equal(3, ring.ReplicationFactor);
        Assert.Equal(ring.Partitions, ring.PreferenceLists.Count);
        Assert.All(ring.PreferenceLists, list => Assert.Equal(3, list.Distinct(StringComparer.Ordinal).Count()));
        Assert.Equal(fx.Cluster.Silos.Select(s => s.Id).Order(StringComparer.Ordinal), ring.Silos);
        Assert.Equal(ring.Partitions, ring.Owned.Values.Sum());
        Assert.All(ring.Owned.Values, owned => Assert.True(owned > 0));
        Assert.Equal(ring.Partitions * 3, ring.Replicas.Values.Sum());
        for (var p = 0; p < ring.Partitions; p++) Assert.Equal(ring.PreferenceLists[p][0], fx.Cluster.Primary.View.Ring.OwnerOf(p));
    }

    [Fact]
    public async Task Inspecting_a_key_put_through_rest_shows_its_three_replicas_at_the_same_version()
    {
        var version = await fx.PutAsync("inspect/passive", "hello replicas", silo: 0);

        var answer = await fx.GetAsync<KeyAnswer>(2, "/admin/keys/default/" + Uri.EscapeDataString("inspect/passive"));

        Assert.Equal("inspect/passive", answer.Key);
        Assert.Equal(3, answer.Replicas.Count);
        Assert.Equal(answer.PreferenceList, answer.Replicas.Select(r => r.Silo));
        Assert.Equal([0, 1, 2], answer.Replicas.Select(r => r.Rank));
        Assert.All(answer.Replicas, r =>
        {
            Assert.True(r.Reachable, r.Error);
            var v = Assert.Single(r.Versions);
            Assert.Equal(version, v.Version);
            Assert.Equal("value", v.Kind);
            Assert.Equal("hello replicas", v.Value);
            Assert.Null(v.ExpiresAt);
            Assert.Null(v.Handler);
        });
    }

    [Fact]
    public async Task Aso_handler_statistics_count_each_replicas_calls_and_failures()
    {
        var version = await fx.PutAsoAsync("inspect/aso", CountingAso);
        for (var i = 0; i < 4; i++)
        {
            using var get = await fx.Http.GetAsync(AdminClusterFixture.KeyUrl(fx.Cluster.Silos[i % 3], "inspect/aso", "r=3"));
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        }
        using (var failing = await fx.Http.GetAsync(AdminClusterFixture.KeyUrl(fx.Cluster.Silos[0], "inspect/aso", "r=3&args=" + Uri.EscapeDataString("""{"fail":true}"""))))
            Assert.Equal(HttpStatusCode.UnprocessableEntity, failing.StatusCode);

        KeyAnswer answer = null!;
        // r=3 answers once 3 replicas answered; all three ran onGet, each counted on its own.
        await AdminClusterFixture.EventuallyAsync(async () =>
        {
            answer = await fx.GetAsync<KeyAnswer>(1, "/admin/keys/default/inspect%2Faso");
            return answer.Replicas.All(r => r.Versions.Count == 1 && r.Versions[0].Handler is { Calls: 6 });
        }, "every replica counted 6 handler calls");

        Assert.All(answer.Replicas, r =>
        {
            var v = Assert.Single(r.Versions);
            Assert.Equal(version, v.Version);
            Assert.Equal("aso", v.Kind);
            Assert.Contains("function aso:onGet", v.Code, StringComparison.Ordinal);
            Assert.Equal(4, v.State!.Value.GetProperty("getCount").GetInt32());
            var stats = v.Handler!;
            Assert.Equal(6, stats.Calls); // onPut, 4 onGet, 1 failed onGet
            Assert.Equal(1, stats.Failures);
            Assert.Equal(1, stats.FailuresByCode["HandlerError"]);
            Assert.True(stats.TotalInstructions > 0, $"instructions {stats.TotalInstructions}");
            Assert.True(stats.HeapBytes > 0, $"heap {stats.HeapBytes}");
        });

        var metrics = await fx.GetAsync<MetricsAnswer>(0, "/admin/metrics?scope=cluster");
        Assert.True(metrics.Cluster!.HandlerFailures.GetValueOrDefault("HandlerError") >= 3, "each of the 3 replicas' onGet failed once");
    }

    [Fact]
    public async Task Metrics_count_the_operations_a_silo_serves_and_reach_the_meter()
    {
        var measured = 0L;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == CometMeter.Name && instrument.Name == "comet.operations") l.EnableMeasurementEvents(instrument);
        };
        var silo0 = fx.Cluster.Silos[0].Id;
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag.Key == "silo" && (string?)tag.Value == silo0) Interlocked.Add(ref measured, value);
        });
        listener.Start();
        var before = await fx.GetAsync<MetricsAnswer>(0, "/admin/metrics");
        var since = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 1000;

        for (var i = 0; i < 5; i++) await fx.PutAsync($"metrics/{i}", "v", silo: 0);
        for (var i = 0; i < 3; i++) (await fx.Http.GetAsync(AdminClusterFixture.KeyUrl(fx.Cluster.Silos[0], $"metrics/{i}"))).Dispose();

        MetricsAnswer after = null!;
        await AdminClusterFixture.EventuallyAsync(async () =>
        {
            after = await fx.GetAsync<MetricsAnswer>(0, "/admin/metrics?window=30");
            // The current second is not in the series until it ends.
            return after.Series.Where(p => p.T >= since).Sum(p => p.Ops) >= 8;
        }, "the operations show in the per-second series");

        Assert.Equal(5, after.Ops["put"].Total - before.Ops["put"].Total);
        Assert.Equal(3, after.Ops["get"].Total - before.Ops["get"].Total);
        Assert.True(after.Ops["put"].PerSecond > 0);
        Assert.NotNull(after.Ops["put"].P50Ms);
        Assert.True(after.Ops["put"].P99Ms >= after.Ops["put"].P50Ms);
        Assert.Equal(60, after.Series.Count);
        Assert.True(Interlocked.Read(ref measured) >= 8);

        using var prometheus = await fx.Admin.GetAsync(fx.Url(0, "/metrics"));
        var text = await prometheus.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, prometheus.StatusCode);
        Assert.Contains($"comet_operations_total{{silo=\"{silo0}\",op=\"put\"}} {after.Ops["put"].Total}", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE comet_operation_duration_seconds summary", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key")]
    [InlineData("ck_default_0123456789abcdef")] // what a namespace API key looks like: never an admin key
    public async Task Admin_endpoints_refuse_a_missing_or_wrong_key_and_change_nothing(string? key)
    {
        using var client = AdminClusterFixture.NewClient(key);
        foreach (var path in new[] { "/admin/cluster", "/admin/ring", "/admin/keys/default/x", "/admin/metrics", "/metrics", "/admin/nothing-here" })
        {
            using var response = await client.GetAsync(fx.Url(0, path));
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal("Unauthorized", error.RootElement.GetProperty("error").GetString());
            Assert.False(string.IsNullOrEmpty(error.RootElement.GetProperty("message").GetString()));
        }

        var target = fx.Cluster.Silos[2].Id;
        foreach (var action in new[] { "drain", "stop" })
        {
            using var refused = await client.PostAsync(fx.Url(0, $"/admin/silos/{target}/{action}"), null);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }
        var cluster = await fx.GetAsync<ClusterAnswer>(2, "/admin/cluster");
        Assert.Equal(3, cluster.Silos.Count(s => s.Live));
        Assert.Equal("running", cluster.Silos.Single(s => s.IsSelf).State);
    }

    [Fact]
    public async Task The_admin_key_is_accepted_as_a_header_or_as_a_bearer_token()
    {
        using var bearer = AdminClusterFixture.NewClient(null);
        bearer.DefaultRequestHeaders.Authorization = new("Bearer", AdminClusterFixture.AdminKey);
        using var response = await bearer.GetAsync(fx.Url(1, "/admin/silo"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var silo = await response.Content.ReadFromJsonAsync<LocalSiloAnswer>(AdminJson.Options);
        Assert.Equal(fx.Cluster.Silos[1].Id, silo!.Id);
        Assert.Equal(3, silo.LiveSilos.Count);
    }

    [Fact]
    public async Task The_dashboard_and_the_openapi_document_need_no_key()
    {
        using var page = await fx.Http.GetAsync(fx.Url(0, "/dashboard"));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        Assert.Contains("Key inspector", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var script = await fx.Http.GetAsync(fx.Url(0, "/dashboard/app.js"));
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        using var missing = await fx.Http.GetAsync(fx.Url(0, "/dashboard/nope.js"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
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
            ("/metrics", "get"), ("/dashboard", "get"), ("/v1/{ns}/keys/{rest}", "put"),
        })
        {
            Assert.True(paths.TryGetProperty(path, out var item), "missing path " + path);
            Assert.True(item.TryGetProperty(method, out _), $"missing {method} {path}");
        }
        var cluster = paths.GetProperty("/admin/cluster").GetProperty("get");
        Assert.Equal("#/components/schemas/ClusterAnswer",
            cluster.GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString());
        Assert.True(cluster.GetProperty("responses").TryGetProperty("401", out _));
        Assert.True(root.GetProperty("components").GetProperty("schemas").GetProperty("ClusterAnswer").GetProperty("properties").TryGetProperty("silos", out _));
        Assert.Equal("X-Comet-Admin-Key", root.GetProperty("components").GetProperty("securitySchemes").GetProperty("adminKey").GetProperty("name").GetString());
    }

    [Fact]
    public async Task Inspecting_a_key_of_an_unknown_namespace_or_silo_is_a_clear_error()
    {
        using var ns = await fx.Admin.GetAsync(fx.Url(0, "/admin/keys/no-such-ns/k"));
        Assert.Equal(HttpStatusCode.NotFound, ns.StatusCode);
        using (var error = JsonDocument.Parse(await ns.Content.ReadAsStringAsync()))
            Assert.Equal("UnknownNamespace", error.RootElement.GetProperty("error").GetString());

        using var silo = await fx.Admin.PostAsync(fx.Url(0, "/admin/silos/no-such-silo/stop"), null);
        Assert.Equal(HttpStatusCode.NotFound, silo.StatusCode);
        using var badN = await fx.Admin.GetAsync(fx.Url(0, "/admin/ring?n=zero"));
        Assert.Equal(HttpStatusCode.BadRequest, badN.StatusCode);
    }
}
