using System.Net;
using System.Net.Http.Json;
using Comet.Admin.Api;
using Comet.Tests.Shared;

namespace Comet.Admin.Tests;

/// <summary>Drain and stop change the cluster, so each test runs on a cluster of its own.</summary>
public sealed class SiloControlTests
{
    private const string Key = "control-key";

    [Fact]
    public async Task Drain_forwarded_from_another_silo_takes_it_out_while_the_others_keep_serving_and_stop_at_its_address_ends_it()
    {
        await using var cluster = await AdminClusterFixture.StartClusterAsync(Key);
        using var admin = AdminClusterFixture.NewClient(Key);
        var (first, second, target) = (cluster.Silos[0], cluster.Silos[1], cluster.Silos[2]);
        var targetId = target.Settings.SiloId;
        var keys = Enumerable.Range(0, 10).Select(i => AdminClusterFixture.NewKey($"drain/{i}")).ToArray();
        foreach (var k in keys) await AdminClusterFixture.PutAsync(admin, first, k, "kept " + k);

        using (var drain = await admin.PostAsync($"{first.HttpAddress}/admin/silos/{targetId}/drain", null))
        {
            Assert.Equal(HttpStatusCode.OK, drain.StatusCode);
            var answer = await drain.Content.ReadFromJsonAsync<SiloActionAnswer>(AdminJson.Options);
            Assert.Equal((targetId, "drain", "drained"), (answer!.Silo, answer.Action, answer.Status));
        }
        var view = await AdminClusterFixture.GetAsync<ClusterAnswer>(admin, $"{first.HttpAddress}/admin/cluster");
        var row = view.Silos.Single(s => s.Id == targetId);
        Assert.Equal("Dead", row.Status);
        Assert.False(row.Live);
        Assert.Null(row.UptimeSeconds);
        Assert.Equal(2, view.Silos.Count(s => s.Live));
        var ring = await AdminClusterFixture.GetAsync<RingAnswer>(admin, $"{second.HttpAddress}/admin/ring");
        Assert.DoesNotContain(targetId, ring.Silos);
        Assert.Equal(ring.Partitions, ring.Owned.Values.Sum());

        // Drained, not stopped: it still answers /admin/silo, and sends everything else to the others.
        var self = await AdminClusterFixture.GetAsync<LocalSiloAnswer>(admin, $"{target.HttpAddress}/admin/silo");
        Assert.Equal("drained", self.State);
        using (var rest = await admin.GetAsync(AdminClusterFixture.KeyUrl(target, keys[0])))
            Assert.Equal(HttpStatusCode.ServiceUnavailable, rest.StatusCode);

        // The others serve every key written before the drain (its replicas were written back), and new writes.
        foreach (var k in keys)
        {
            using var get = await admin.GetAsync(AdminClusterFixture.KeyUrl(second, k));
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            Assert.Equal("kept " + k, await get.Content.ReadAsStringAsync());
        }
        await AdminClusterFixture.PutAsync(admin, first, AdminClusterFixture.NewKey("after-drain"), "still writing", query: "w=2");

        using (var stop = await admin.PostAsync($"{second.HttpAddress}/admin/silos/{targetId}/stop", null))
        {
            // The target left the cluster, so the others cannot reach it: stop it at its own address.
            Assert.Equal(HttpStatusCode.Conflict, stop.StatusCode);
        }
        using (var stop = await admin.PostAsync($"{target.HttpAddress}/admin/silos/{targetId}/stop", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, stop.StatusCode);
            var answer = await stop.Content.ReadFromJsonAsync<SiloActionAnswer>(AdminJson.Options);
            Assert.Equal("stopping", answer!.Status);
        }
        await SiloCluster.EventuallyAsync(() => HttpClosedAsync(admin, target.HttpAddress!), "the stopped silo's HTTP port closes");
    }

    [Fact]
    public async Task Stop_forwarded_to_a_live_silo_ends_only_its_host_and_the_others_keep_serving()
    {
        await using var cluster = await AdminClusterFixture.StartClusterAsync(Key);
        using var admin = AdminClusterFixture.NewClient(Key);
        var (first, target, third) = (cluster.Silos[0], cluster.Silos[1], cluster.Silos[2]);
        var targetId = target.Settings.SiloId;
        var key = AdminClusterFixture.NewKey("stop");
        await AdminClusterFixture.PutAsync(admin, first, key, "before the stop");

        using (var stop = await admin.PostAsync($"{first.HttpAddress}/admin/silos/{targetId}/stop", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, stop.StatusCode);
            var answer = await stop.Content.ReadFromJsonAsync<SiloActionAnswer>(AdminJson.Options);
            Assert.Equal((targetId, "stop", "stopping"), (answer!.Silo, answer.Action, answer.Status));
        }
        await SiloCluster.EventuallyAsync(async () =>
        {
            var view = await AdminClusterFixture.GetAsync<ClusterAnswer>(admin, $"{third.HttpAddress}/admin/cluster");
            var row = view.Silos.Single(s => s.Id == targetId);
            return !row.Live && row.Status == "Dead" && view.Silos.Count(s => s.Live) == 2;
        }, "the others see the stopped silo dead");
        await SiloCluster.EventuallyAsync(() => HttpClosedAsync(admin, target.HttpAddress!), "the stopped silo's HTTP port closes");

        using var get = await admin.GetAsync(AdminClusterFixture.KeyUrl(third, key));
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("before the stop", await get.Content.ReadAsStringAsync());
        await AdminClusterFixture.PutAsync(admin, first, AdminClusterFixture.NewKey("after-stop"), "still writing", query: "w=2");
        var silo = await AdminClusterFixture.GetAsync<LocalSiloAnswer>(admin, $"{first.HttpAddress}/admin/silo");
        Assert.Equal("running", silo.State);
        Assert.Equal(2, silo.LiveSilos.Count);
    }

    [Fact]
    public async Task Dev_mode_without_an_admin_key_lets_loopback_callers_in_anonymously()
    {
        await using var cluster = await AdminClusterFixture.StartClusterAsync(adminKey: null, silos: 2);
        using var anonymous = AdminClusterFixture.NewClient(null);

        var view = await AdminClusterFixture.GetAsync<ClusterAnswer>(anonymous, $"{cluster.Silos[0].HttpAddress}/admin/cluster");

        Assert.Equal(2, view.Silos.Count(s => s.Live));
        Assert.All(view.Silos, s => Assert.NotNull(s.Activations));
        Assert.All(view.Silos, s => Assert.NotNull(s.HttpAddress)); // the other silo described itself through its grain service
        using var orleans = await anonymous.GetAsync($"{cluster.Silos[1].HttpAddress}/orleans-dashboard/");
        Assert.Equal(HttpStatusCode.OK, orleans.StatusCode);
    }

    [Fact]
    public async Task Outside_dev_mode_without_an_admin_key_nobody_gets_in()
    {
        await using var cluster = await AdminClusterFixture.StartClusterAsync(adminKey: null, silos: 1, devMode: false);
        using var anonymous = AdminClusterFixture.NewClient(null);
        using var guess = AdminClusterFixture.NewClient("anything");

        foreach (var client in new[] { anonymous, guess })
        {
            foreach (var path in new[] { "/admin/cluster", "/metrics", "/orleans-dashboard/" })
            {
                using var response = await client.GetAsync($"{cluster.Silos[0].HttpAddress}{path}");
                Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            }
        }
        using var page = await anonymous.GetAsync($"{cluster.Silos[0].HttpAddress}/dashboard");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }

    private static async Task<bool> HttpClosedAsync(HttpClient client, string address)
    {
        try
        {
            (await client.GetAsync(address + "/admin/silo")).Dispose();
            return false;
        }
        catch (HttpRequestException)
        {
            return true; // nothing listens there any more
        }
    }
}
