using System.Diagnostics;
using Comet.Cluster.Tests.Processes;
using Xunit.Abstractions;

namespace Comet.Cluster.Tests.Faults;

/// <summary>
/// A minute of churn: one silo process at a time is killed with SIGKILL and started again (as a supervisor would)
/// while writers keep writing; afterwards every acknowledged write of the whole minute is checked.
/// </summary>
[Collection(SiloProcessCollection.Name)]
public sealed class ChurnTests(ProcessCluster cluster, ITestOutputHelper output)
{
    private static readonly TimeSpan LoadTime = TimeSpan.FromSeconds(60);

    /// <summary>Kills the minute must hold at least; on a slow machine (silo starts of 30 s) the churn runs longer to reach them.</summary>
    private const int MinimumKills = 3;

    /// <summary>Where the churn stops killing, however few kills it reached.</summary>
    private static readonly TimeSpan LongestChurn = TimeSpan.FromSeconds(150);

    /// <summary>How long the cluster runs whole between a restart and the next kill.</summary>
    private static readonly TimeSpan Between = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task Silos_killed_and_restarted_during_a_minute_of_writes_lose_no_acknowledged_write()
    {
        await cluster.EnsureAllServingAsync();
        cluster.WriteEvents(output);
        var load = new Workload(cluster.Http, () => cluster.Serving(), "churn");
        using var stop = new CancellationTokenSource();
        // Two writers of write-once keys and one writer overwriting 8 keys with the context of its last acknowledged put.
        Task[] writers = [load.WriteOnceAsync(0, stop.Token), load.WriteOnceAsync(1, stop.Token), load.OverwriteAsync(8, stop.Token)];

        var cycles = new List<string>();
        var random = new Random(11);
        var ids = cluster.Ids;
        string? previous = null;
        // Kill after kill until the minute is over and at least MinimumKills happened; the writers run until the last restart served.
        while ((load.Clock.Elapsed < LoadTime - Between || cycles.Count < MinimumKills) && load.Clock.Elapsed < LongestChurn)
        {
            await Task.Delay(Between);
            var victim = ids.Where(id => id != previous).ElementAt(random.Next(ids.Count - 1));
            previous = victim;
            var failedBefore = load.FailedWrites.Count;
            var at = load.Clock.Elapsed;
            await cluster.KillAsync(victim);
            // Restarted at once, before the old incarnation is declared dead: the new one replaces it on joining.
            var started = await cluster.StartAsync(victim);
            cycles.Add($"t={at.TotalSeconds:0.0}s kill -9 {victim}, serving again after {started.ToServing.TotalSeconds:0.0} s " +
                $"(Active after {started.ToActive.TotalSeconds:0.0} s); {load.FailedWrites.Count - failedBefore} failed writes meanwhile");
        }
        while (load.Clock.Elapsed < LoadTime) await Task.Delay(200);
        var churned = load.Clock.Elapsed;
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        await cluster.EnsureAllServingAsync();
        cluster.WriteEvents(output);
        var check = Stopwatch.StartNew();
        var lost = await load.CheckAllAsync(r: 2);
        foreach (var cycle in cycles) output.WriteLine(cycle);
        output.WriteLine($"{cycles.Count} kills in {churned.TotalSeconds:0} s; {load.Writes} writes attempted: {load.Acknowledged.Count} write-once keys acknowledged, " +
            $"{load.LastAcknowledged.Count} overwritten keys, {load.FailedWrites.Count} failed (not acknowledged) [{Workload.Histogram(load.FailedWrites)}]");
        foreach (var failure in load.FailedWrites.Take(12)) output.WriteLine("  " + failure);
        output.WriteLine($"checked {load.Acknowledged.Count + load.LastAcknowledged.Count} keys in {check.Elapsed.TotalSeconds:0.0} s: {lost.Count} lost");
        foreach (var line in lost.Take(30)) output.WriteLine("  lost: " + line);

        Assert.True(cycles.Count >= MinimumKills, $"only {cycles.Count} kills happened in {churned.TotalSeconds:0} s");
        Assert.True(load.Acknowledged.Count > 200, $"only {load.Acknowledged.Count} write-once keys were acknowledged");
        Assert.Equal(8, load.LastAcknowledged.Count);
        Assert.Empty(lost);
    }
}
