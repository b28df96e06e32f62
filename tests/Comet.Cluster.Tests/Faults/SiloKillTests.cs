using System.Diagnostics;
using Comet.Cluster.Tests.Processes;
using Xunit.Abstractions;

namespace Comet.Cluster.Tests.Faults;

/// <summary>
/// kill -9 of one of three real silo processes: acknowledged writes survive it, the cluster declares the silo dead
/// within 10 s, and the silo restarted with its id and ports rejoins and serves its replicas.
/// </summary>
[Collection(SiloProcessCollection.Name)]
public sealed class SiloKillTests(ProcessCluster cluster, ITestOutputHelper output)
{
    /// <summary>The goal for failure detection (DESIGN.md: ClusterMembershipOptions tuned so a dead silo is declared within 10 s).</summary>
    private static readonly TimeSpan DetectionGoal = TimeSpan.FromSeconds(10);

    /// <summary>Writes may fail while the cluster has not yet noticed the kill, and a little after (views and directories settle).</summary>
    private static readonly TimeSpan SettleAfterDetection = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task Kill_9_of_one_of_three_silos_under_writes_and_reads_loses_no_acknowledged_write()
    {
        await cluster.EnsureAllServingAsync();
        cluster.WriteEvents(output);
        const string Victim = "silo-3";
        output.WriteLine($"run directory {cluster.Directory}");
        // A writer (N=3, W=2) and a reader (R=2) through the two silos that stay.
        var load = new Workload(cluster.Http, () => cluster.Serving(Victim), "kill9");
        using var stop = new CancellationTokenSource();
        var writer = load.WriteOnceAsync(0, stop.Token);
        var reader = load.ReadAsync(2, stop.Token);

        await Task.Delay(TimeSpan.FromSeconds(3));
        var ackedBeforeKill = load.Acknowledged.Count;
        var killedAt = load.Clock.Elapsed;
        var sinceKill = Stopwatch.StartNew();
        var incarnation = await cluster.KillAsync(Victim);
        var dead = await cluster.WaitUntilDeadAsync(incarnation, sinceKill, TimeSpan.FromSeconds(30));
        var deadAt = killedAt + (dead ?? sinceKill.Elapsed);
        // Keep going well past detection: writes must succeed again on the two survivors.
        await Task.Delay(TimeSpan.FromSeconds(6));
        await stop.CancelAsync();
        await Task.WhenAll(writer, reader);
        var endedAt = load.Clock.Elapsed;

        var check = Stopwatch.StartNew();
        var lost = await load.CheckAllAsync(r: 2);
        var window = killedAt + (dead ?? TimeSpan.Zero) + SettleAfterDetection;
        var lateWrites = load.FailedWrites.Where(f => f.At < killedAt || f.At > window).ToList();
        var lateReads = load.FailedReads.Where(f => f.At < killedAt || f.At > window).ToList();
        var ackedAfterWindow = load.AcknowledgedAt.Count(t => t > window);
        cluster.WriteEvents(output);
        output.WriteLine($"{Victim} killed at t={killedAt.TotalSeconds:0.0}s; declared Dead after {Ms(dead)} (t={deadAt.TotalSeconds:0.0}s); load stopped at t={endedAt.TotalSeconds:0.0}s");
        output.WriteLine($"writes: {load.Writes} attempted, {load.Acknowledged.Count} acknowledged ({ackedBeforeKill} before the kill, {ackedAfterWindow} after detection + {SettleAfterDetection.TotalSeconds:0} s), " +
            $"{load.FailedWrites.Count} failed (not acknowledged) [{Workload.Histogram(load.FailedWrites)}]");
        output.WriteLine($"reads (R=2): {load.Reads}, {load.FailedReads.Count} failed [{Workload.Histogram(load.FailedReads)}], {load.StaleReadCount} answered without the acknowledged value");
        foreach (var f in load.FailedWrites.Concat(load.FailedReads).Concat(load.StaleReads).Take(20)) output.WriteLine("  " + f);
        output.WriteLine($"read back {load.Acknowledged.Count} acknowledged keys in {check.Elapsed.TotalSeconds:0.0} s: {lost.Count} not readable");
        foreach (var line in lost.Take(20)) output.WriteLine("  lost: " + line);

        Assert.True(dead is not null, $"{Victim}'s killed incarnation was never declared Dead");
        Assert.True(load.Acknowledged.Count > 30, $"only {load.Acknowledged.Count} writes were acknowledged");
        Assert.Empty(lost);
        Assert.Empty(load.StaleReads);
        Assert.True(ackedAfterWindow > 10, $"only {ackedAfterWindow} writes were acknowledged after the kill was detected");
        Assert.True(lateWrites.Count == 0, $"{lateWrites.Count} writes failed outside the detection window: " + string.Join("; ", lateWrites.Take(5)));
        Assert.True(lateReads.Count == 0, $"{lateReads.Count} reads failed outside the detection window: " + string.Join("; ", lateReads.Take(5)));
    }

    [Fact]
    public async Task A_silo_killed_with_SIGKILL_is_declared_dead_in_the_membership_table_within_10_seconds()
    {
        await cluster.EnsureAllServingAsync();
        cluster.WriteEvents(output);
        const string Victim = "silo-2";
        // Let probing reach its steady state after any restart the fixture just did.
        await Task.Delay(TimeSpan.FromSeconds(2));

        var sinceKill = Stopwatch.StartNew();
        var incarnation = await cluster.KillAsync(Victim);
        var dead = await cluster.WaitUntilDeadAsync(incarnation, sinceKill, TimeSpan.FromSeconds(30));
        var others = (await cluster.Membership.ReadAsync()).Where(r => r.Name != Victim).ToList();

        cluster.WriteEvents(output);
        output.WriteLine($"{Victim} ({incarnation}) killed with SIGKILL: declared Dead after {Ms(dead)}");
        output.WriteLine("membership: " + string.Join("; ", (await cluster.Membership.ReadAsync()).Select(r => $"{r.Name} {r.Address} {r.Status}")));
        Assert.True(dead is not null, $"{Victim} was not declared Dead within 30 s");
        Assert.True(dead <= DetectionGoal, $"{Victim} was declared Dead after {Ms(dead)}, more than {DetectionGoal.TotalSeconds} s");
        Assert.All(others.Where(r => r.Generation == others.Where(o => o.Name == r.Name).Max(o => o.Generation)),
            r => Assert.Equal(Orleans.Runtime.SiloStatus.Active, r.Status));
    }

    [Fact]
    public async Task A_killed_silo_restarted_with_its_id_and_ports_rejoins_and_reads_with_r3_succeed_for_keys_written_before_and_during_its_absence()
    {
        await cluster.EnsureAllServingAsync();
        cluster.WriteEvents(output);
        const string Victim = "silo-1";
        const int Keys = 60;
        var written = new Dictionary<string, string>(StringComparer.Ordinal);

        // Before: all three replicas acknowledge.
        for (var i = 0; i < Keys; i++)
        {
            var key = $"restart-before-{i}";
            await PutUntilAcknowledgedAsync(cluster.Serving(), key, $"{key}=b", w: 3);
            written[key] = $"{key}=b";
        }

        var sinceKill = Stopwatch.StartNew();
        var incarnation = await cluster.KillAsync(Victim);
        var dead = await cluster.WaitUntilDeadAsync(incarnation, sinceKill, TimeSpan.FromSeconds(30));
        Assert.True(dead is not null, $"{Victim} was not declared Dead within 30 s");

        // During: written through the two survivors (W=2) while the victim is down.
        var failedDuring = 0;
        for (var i = 0; i < Keys; i++)
        {
            var key = $"restart-during-{i}";
            failedDuring += await PutUntilAcknowledgedAsync(cluster.Serving(), key, $"{key}=d", w: 2);
            written[key] = $"{key}=d";
        }
        var absent = sinceKill.Elapsed;

        var restart = Stopwatch.StartNew();
        var started = await cluster.StartAsync(Victim);
        var victimRest = cluster[Victim].Rest;
        List<string> unreadable;
        var attempts = 0;
        while (true)
        {
            attempts++;
            unreadable = [];
            foreach (var (key, value) in written)
            {
                var get = await KeyValueRest.GetAsync(cluster.Http, victimRest, key, r: 3);
                if (!get.Holds(value)) unreadable.Add($"{key}: {(get.Status is 200 or 300 ? string.Join(" | ", get.Values) : get.Failure)}");
            }
            if (unreadable.Count == 0 || restart.Elapsed - started.ToServing > TimeSpan.FromSeconds(60)) break;
            await Task.Delay(200);
        }
        var readable = restart.Elapsed;
        var readableAfterServing = readable - started.ToServing;
        // And through every other silo too.
        var elsewhere = new List<string>();
        foreach (var rest in cluster.Serving(Victim))
            foreach (var (key, value) in written)
                if (!(await KeyValueRest.GetAsync(cluster.Http, rest, key, r: 3)).Holds(value)) elsewhere.Add($"{rest} {key}");

        cluster.WriteEvents(output);
        output.WriteLine($"{Victim} killed: Dead after {Ms(dead)}; absent {absent.TotalSeconds:0.0} s; {failedDuring} failed attempts writing {Keys} keys during its absence");
        output.WriteLine($"restart: Active after {started.ToActive.TotalSeconds:0.0} s, REST serving after {started.ToServing.TotalSeconds:0.0} s, " +
            $"all {written.Count} keys readable with r=3 through it {readable.TotalSeconds:0.0} s after the start ({readableAfterServing.TotalSeconds:0.0} s after it served; {attempts} passes)");
        foreach (var line in unreadable.Take(20)) output.WriteLine("  unreadable: " + line);
        Assert.Empty(unreadable);
        Assert.Empty(elsewhere);
    }

    /// <summary>Puts until a silo acknowledges (at most 20 tries, round-robin); returns the number of failed tries.</summary>
    private async Task<int> PutUntilAcknowledgedAsync(IReadOnlyList<string> silos, string key, string value, int w)
    {
        var failures = new List<string>();
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var put = await KeyValueRest.PutAsync(cluster.Http, silos[attempt % silos.Count], key, value, w);
            if (put.Acknowledged) return failures.Count;
            failures.Add(put.Failure);
            await Task.Delay(100);
        }
        Assert.Fail($"PUT {key} (w={w}) was never acknowledged: {string.Join("; ", failures.Distinct())}");
        return failures.Count;
    }

    private static string Ms(TimeSpan? time) => time is { } t ? $"{t.TotalMilliseconds:0} ms" : "never";
}
