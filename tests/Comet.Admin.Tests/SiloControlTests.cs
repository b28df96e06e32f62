using System.Net;
using System.Net.Http.Json;
using Comet.Admin.Api;
using Comet.Grid.Hosting;

namespace Comet.Admin.Tests;

/// <summary>Drain and stop change the cluster, so each test runs on a cluster of its own.</summary>
public sealed class SiloControlTests
{
    private const string Key = "control-key";

    [Fact]
    public async Task Drain_takes_a_silo_off_the_ring_and_stop_ends_it_both_forwarded_from_another_silo()
    {
        TestCluster cluster = null!;
        cluster = await AdminClusterFixture.StartClusterAsync(Key, stopSilo: s => cluster.StopSiloAsync(s));
        await using var _ = cluster;
        using var admin = AdminClusterFixture.NewClient(Key);
        var (first, second, target) = (cluster.Silos[0], cluster.Silos[1], cluster.Silos[2]);

        using (var drain = await admin.PostAsync($"{first.HttpAddress}/admin/silos/{target.Id}/drain", null))
        {
            Assert.Equal(HttpStatusCode.OK, drain.StatusCode);
            var answer = await drain.Content.ReadFromJsonAsync<SiloActionAnswer>(AdminJson.Options);
            Assert.Equal((target.Id, "drain", "drained"), (answer!.Silo, answer.Action, answer.Status));
        }
        await AdminClusterFixture.EventuallyAsync(async () =>
        {
            var view = await admin.GetFromJsonAsync<ClusterAnswer>($"{first.HttpAddress}/admin/cluster", AdminJson.Options);
            var row = view!.Silos.Single(s => s.Id == target.Id);
            return !row.Live && row.Status == "Dead" && view.Silos.Count(s => s.Live) == 2;
        }, "the other silos see the drained silo leave");
        var ring = await admin.GetFromJsonAsync<RingAnswer>($"{second.HttpAddress}/admin/ring", AdminJson.Options);
        Assert.DoesNotContain(target.Id, ring!.Silos);
        // Drained, not stopped: it still answers its admin API.
        var self = await admin.GetFromJsonAsync<LocalSiloAnswer>($"{target.HttpAddress}/admin/silo", AdminJson.Options);
        Assert.Equal("drained", self!.State);

        using (var stop = await admin.PostAsync($"{second.HttpAddress}/admin/silos/{target.Id}/stop", null))
        {
            // The target left the ring, so the forwarding silo refuses: stop it at its own address.
            Assert.Equal(HttpStatusCode.Conflict, stop.StatusCode);
        }
        using (var stop = await admin.PostAsync($"{target.HttpAddress}/admin/silos/{target.Id}/stop", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, stop.StatusCode);
            var answer = await stop.Content.ReadFromJsonAsync<SiloActionAnswer>(AdminJson.Options);
            Assert.Equal("stopping", answer!.Status);
        }
        await AdminClusterFixture.EventuallyAsync(async () =>
        {
            try
            {
                (await admin.GetAsync($"{target.HttpAddress}/admin/silo")).Dispose();
                return false;
            }
            catch (HttpRequestException)
            {
                return true; // its HTTP port is closed
            }
        }, "the stopped silo's HTTP endpoint closes");
        Assert.Equal(2, cluster.Silos.Count);

        // The cluster goes on without it.
        using var put = await admin.PutAsync(AdminClusterFixture.KeyUrl(first, "after-drain"), new StringContent("still here"));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
    }

    [Fact]
    public async Task Stop_forwarded_to_a_live_silo_stops_it_and_the_cluster_view_shows_it_leaving()
    {
        TestCluster cluster = null!;
        cluster = await AdminClusterFixture.StartClusterAsync(Key, stopSilo: s => cluster.StopSiloAsync(s));
        await using var _ = cluster;
        using var admin = AdminClusterFixture.NewClient(Key);
        var (first, target) = (cluster.Silos[0], cluster.Silos[1]);

        using (var stop = await admin.PostAsync($"{first.HttpAddress}/admin/silos/{target.Id}/stop", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, stop.StatusCode);
            var answer = await stop.Content.ReadFromJsonAsync<SiloActionAnswer>(AdminJson.Options);
            Assert.Equal((target.Id, "stop"), (answer!.Silo, answer.Action));
        }
        await AdminClusterFixture.EventuallyAsync(async () =>
        {
            var view = await admin.GetFromJsonAsync<ClusterAnswer>($"{first.HttpAddress}/admin/cluster", AdminJson.Options);
            var row = view!.Silos.Single(s => s.Id == target.Id);
            return !row.Live && row.Status == "Dead" && row.UptimeSeconds is null;
        }, "the stopped silo shows as dead");
        Assert.Equal(2, cluster.Silos.Count);
    }

    [Fact]
    public async Task Dev_mode_without_an_admin_key_lets_loopback_callers_in_anonymously()
    {
        await using var cluster = await AdminClusterFixture.StartClusterAsync(adminKey: null, silos: 2);
        using var anonymous = AdminClusterFixture.NewClient(null);

        var view = await anonymous.GetFromJsonAsync<ClusterAnswer>($"{cluster.Silos[0].HttpAddress}/admin/cluster", AdminJson.Options);

        Assert.Equal(2, view!.Silos.Count(s => s.Live));
        Assert.All(view.Silos, s => Assert.NotNull(s.Activations)); // the peer was asked anonymously too
    }

    [Fact]
    public async Task Outside_dev_mode_without_an_admin_key_nobody_gets_in()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions
        {
            InitialSilosCount = 1,
            ConfigureSilo = o => o.DevMode = false,
            ConfigureHttp = (app, silo) => app.MapCometAdmin(silo),
        });
        using var anonymous = AdminClusterFixture.NewClient(null);
        using var guess = AdminClusterFixture.NewClient("anything");

        using var a = await anonymous.GetAsync($"{cluster.Silos[0].HttpAddress}/admin/cluster");
        using var b = await guess.GetAsync($"{cluster.Silos[0].HttpAddress}/admin/cluster");

        Assert.Equal(HttpStatusCode.Unauthorized, a.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, b.StatusCode);
    }
}
