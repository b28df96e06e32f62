using System.Collections.Concurrent;
using System.Diagnostics;
using Comet.Abstractions.Keys;
using Comet.Grid.Hosting;
using Comet.Grid.Membership;
using Xunit.Abstractions;

namespace Comet.Grid.Tests.Cluster;

/// <summary>Probes, suspicion votes, gossip, hinted handoff and network partitions on in-process silos with real sockets.</summary>
public class FailureDetectionTests(ITestOutputHelper output)
{
    /// <summary>IAmAlive alone would take a minute here, so anything faster is the probes' and votes' doing.</summary>
    private static void VotesOnly(SiloOptions o)
    {
        o.IAmAliveTimeout = TimeSpan.FromSeconds(60);
        o.AntiEntropyPeriod = TimeSpan.FromHours(1);
    }

    private static async Task<MembershipEntry?> RowAsync(TestCluster cluster, string siloId)
    {
        var table = new MembershipTable(await cluster.Storage.OpenTableAsync(MembershipTable.TableName));
        return (await table.ReadAsync(siloId, CancellationToken.None))?.Entry;
    }

    private static async Task<TimeSpan> WaitForStatusAsync(TestCluster cluster, string siloId, SiloStatus status, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while ((await RowAsync(cluster, siloId))?.Status != status)
        {
            Assert.True(clock.Elapsed < limit, $"{siloId} was not {status} after {limit.TotalSeconds} s");
            await Task.Delay(50);
        }
        return clock.Elapsed;
    }

    [Fact]
    public async Task A_crashed_silo_is_declared_dead_by_its_probers_votes_within_ten_seconds_and_rejoins_on_restart()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { ConfigureSilo = VotesOnly });
        var victim = cluster.Silos[2];
        await cluster.KillSiloAsync(victim);

        var detected = await WaitForStatusAsync(cluster, victim.Id, SiloStatus.Dead, TimeSpan.FromSeconds(10));
        output.WriteLine($"declared dead after {detected.TotalMilliseconds:0} ms");
        var row = await RowAsync(cluster, victim.Id);
        Assert.Equal(2, row!.Suspicions.Select(v => v.By).Distinct().Count());
        // Gossip: the silo that cast the deciding vote told the other, so both views drop it at once.
        await ClusterFixture.EventuallyAsync(() => Task.FromResult(cluster.Silos.All(s => !s.View.IsLive(victim.Id))), "both views drop the dead silo", TimeSpan.FromSeconds(2));

        var back = await cluster.StartSiloAsync(victim.Id);
        Assert.Equal(SiloStatus.Active, (await RowAsync(cluster, victim.Id))!.Status);
        Assert.Empty((await RowAsync(cluster, victim.Id))!.Suspicions);
        await cluster.WaitForStableViewAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(3, back.View.Live.Count);
    }

    [Fact]
    public async Task Probe_targets_are_the_next_silos_in_id_order_wrapping_round()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { InitialSilosCount = 4, ConfigureSilo = VotesOnly });
        var view = cluster.Silos[0].View;
        Assert.Equal(["silo-2", "silo-3"], FailureDetector.TargetsOf(view, "silo-1", 2));
        Assert.Equal(["silo-4", "silo-1"], FailureDetector.TargetsOf(view, "silo-3", 2));
        // Every silo is watched by two others.
        var watchers = cluster.Silos.SelectMany(s => FailureDetector.TargetsOf(view, s.Id, 2)).GroupBy(t => t).ToDictionary(g => g.Key, g => g.Count());
        Assert.All(cluster.Silos, s => Assert.Equal(2, watchers[s.Id]));
    }

    [Fact]
    public async Task A_write_for_an_unreachable_replica_is_held_as_a_hint_and_handed_off_when_it_returns()
    {
        // Detection is slowed right down so the crashed silo stays in the preference lists.
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions
        {
            InitialSilosCount = 4,
            ConfigureSilo = o =>
            {
                VotesOnly(o);
                o.MissedProbesLimit = 1000;
            },
        });
        using var http = new HttpClient();
        var victim = cluster.Silos[3];
        await cluster.KillSiloAsync(victim);

        var keys = Enumerable.Range(0, 30).Select(i => $"hint-{i}").ToList();
        foreach (var key in keys)
        {
            var response = await http.PutAsync($"{cluster.Silos[0].HttpAddress}/v1/default/keys/{key}?w=3", new StringContent(key));
            Assert.True(response.IsSuccessStatusCode, $"{key}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        var pending = new List<Replication.Hint>();
        foreach (var silo in cluster.Silos) pending.AddRange(await silo.Hints.PendingAsync(CancellationToken.None));
        Assert.NotEmpty(pending);
        Assert.All(pending, h => Assert.Equal(victim.Id, h.Target));
        var victimKeys = pending.Select(h => h.Request.Key).ToHashSet();
        output.WriteLine($"{pending.Count} hints held for {victim.Id}");

        var back = await cluster.StartSiloAsync(victim.Id);
        await cluster.WaitForStableViewAsync();
        await ClusterFixture.EventuallyAsync(async () =>
        {
            var left = 0;
            foreach (var silo in cluster.Silos) left += (await silo.Hints.PendingAsync(CancellationToken.None)).Count;
            return left == 0;
        }, "every hint delivered", TimeSpan.FromSeconds(15));
        foreach (var key in victimKeys)
        {
            var replica = await back.Catalog.InspectAsync(ObjectKey.Create("default", key), CancellationToken.None);
            Assert.Single(replica.Live);
            Assert.Equal(key, System.Text.Encoding.UTF8.GetString(replica.Live[0].Data.Span));
        }
        Assert.Equal(0, back.AntiEntropy.Repaired); // the hints did it, not anti-entropy
    }

    [Fact]
    public async Task A_partitioned_silo_is_declared_dead_stays_out_while_cut_off_and_rejoins_after_the_heal_without_lost_writes()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { ConfigureSilo = VotesOnly });
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var cut = cluster.Silos[2];
        var acknowledged = new ConcurrentDictionary<string, string>();
        var failedWrites = 0;
        var failedReads = 0;
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var response = await http.PutAsync($"{cluster.Silos[0].HttpAddress}/v1/default/keys/part-{i}", new StringContent("v" + i));
                if (response.IsSuccessStatusCode) acknowledged[$"part-{i}"] = "v" + i;
                else Interlocked.Increment(ref failedWrites);
            }
        });
        var reader = Task.Run(async () =>
        {
            var random = new Random(3);
            while (!stop.IsCancellationRequested)
            {
                var keys = acknowledged.Keys.ToArray();
                if (keys.Length == 0)
                {
                    await Task.Delay(5);
                    continue;
                }
                var response = await http.GetAsync($"{cluster.Silos[1].HttpAddress}/v1/default/keys/{keys[random.Next(keys.Length)]}");
                if (!response.IsSuccessStatusCode) Interlocked.Increment(ref failedReads);
            }
        });

        await Task.Delay(500);
        cluster.Faults.BlockNode(cut.Id);
        var detected = await WaitForStatusAsync(cluster, cut.Id, SiloStatus.Dead, TimeSpan.FromSeconds(10));
        await ClusterFixture.EventuallyAsync(() => Task.FromResult(cut.Membership.DeclaredDead), "the cut-off silo learns it was declared dead", TimeSpan.FromSeconds(5));
        await Task.Delay(2000);
        Assert.Equal(SiloStatus.Dead, (await RowAsync(cluster, cut.Id))!.Status); // cut off, it does not force its way back

        var healing = Stopwatch.StartNew();
        cluster.Faults.UnblockNode(cut.Id);
        await WaitForStatusAsync(cluster, cut.Id, SiloStatus.Active, TimeSpan.FromSeconds(10));
        await cluster.WaitForStableViewAsync(TimeSpan.FromSeconds(10));
        var rejoined = healing.Elapsed;
        await Task.Delay(500);
        await stop.CancelAsync();
        await Task.WhenAll(writer, reader);

        var repairClock = Stopwatch.StartNew();
        var copied = await cut.AntiEntropy.RunRoundAsync(CancellationToken.None);
        var repaired = repairClock.Elapsed;
        output.WriteLine($"declared dead after {detected.TotalMilliseconds:0} ms; rejoined {rejoined.TotalMilliseconds:0} ms after the heal; " +
            $"anti-entropy copied {copied} versions in {repaired.TotalMilliseconds:0} ms; {acknowledged.Count} writes acknowledged, " +
            $"{failedWrites} writes and {failedReads} reads failed");

        Assert.True(acknowledged.Count > 50, $"only {acknowledged.Count} writes were acknowledged");
        Assert.True(copied > 0, "the healed silo had nothing to catch up on");
        foreach (var (key, value) in acknowledged)
        {
            Assert.Equal(value, await http.GetStringAsync($"{cluster.Silos[0].HttpAddress}/v1/default/keys/{key}?r=3"));
            var replica = await cut.Catalog.InspectAsync(ObjectKey.Create("default", key), CancellationToken.None);
            Assert.Equal(value, System.Text.Encoding.UTF8.GetString(replica.Live.Single().Data.Span));
        }
    }

    [Fact]
    public async Task A_joining_silo_takes_over_its_partitions_with_their_state_while_writes_keep_succeeding()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { ConfigureSilo = VotesOnly });
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var keys = Enumerable.Range(0, 60).Select(i => $"join-{i}").ToList();
        foreach (var key in keys)
            Assert.True((await http.PutAsync($"{cluster.Silos[0].HttpAddress}/v1/default/keys/{key}?w=3", new StringContent(key))).IsSuccessStatusCode);
        var lua = new StringContent("aso.count = 7\nfunction aso:onGet(caller) return self.count end", System.Text.Encoding.UTF8);
        lua.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-lua");
        Assert.True((await http.PutAsync($"{cluster.Silos[0].HttpAddress}/v1/default/keys/join-aso?w=3", lua)).IsSuccessStatusCode);

        var failed = 0;
        var written = 0;
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var response = await http.PutAsync($"{cluster.Silos[1].HttpAddress}/v1/default/keys/during-{i}", new StringContent("d"));
                if (response.IsSuccessStatusCode) Interlocked.Increment(ref written);
                else Interlocked.Increment(ref failed);
            }
        });
        var before = cluster.Silos[0].View.Ring;
        var joined = await cluster.StartSiloAsync("silo-4");
        await cluster.WaitForStableViewAsync();
        await Task.Delay(300);
        await stop.CancelAsync();
        await writer;
        Assert.True(written > 20, $"only {written} writes ran during the join");
        Assert.Equal(0, failed);

        var after = joined.View.Ring;
        var moved = Enumerable.Range(0, after.Partitions).Count(p => before.OwnerOf(p) != after.OwnerOf(p));
        Assert.All(Enumerable.Range(0, after.Partitions).Where(p => before.OwnerOf(p) != after.OwnerOf(p)), p => Assert.Equal("silo-4", after.OwnerOf(p)));
        output.WriteLine($"{moved} of {after.Partitions} partitions moved to the new silo");

        var copied = await joined.AntiEntropy.RunRoundAsync(CancellationToken.None);
        Assert.True(copied > 0);
        foreach (var key in keys.Append("join-aso"))
        {
            var objectKey = ObjectKey.Create("default", key);
            if (Array.IndexOf(after.PreferenceList(objectKey.Hash, 3), "silo-4") < 0) continue;
            var replica = await joined.Catalog.InspectAsync(objectKey, CancellationToken.None);
            Assert.Single(replica.Live);
        }
        // The ASO reactivates on the new silo with its state, and serves gets there.
        var aso = ObjectKey.Create("default", "join-aso");
        if (Array.IndexOf(after.PreferenceList(aso.Hash, 3), "silo-4") >= 0)
        {
            var state = await joined.Catalog.InspectAsync(aso, CancellationToken.None);
            Assert.Contains("\"count\":7", System.Text.Encoding.UTF8.GetString(state.Live[0].Data.Span), StringComparison.Ordinal);
        }
        Assert.Equal("7", await http.GetStringAsync($"{joined.HttpAddress}/v1/default/keys/join-aso?r=3"));
    }
}
