using System.Collections.Concurrent;
using System.Diagnostics;
using Comet.Grid.Membership;
using Xunit.Abstractions;

namespace Comet.Grid.Tests.Process;

/// <summary>Real silo processes sharing one SQLite file; a fault is a real kill -9.</summary>
public class SiloProcessFaultTests(ITestOutputHelper output)
{
    /// <summary>Every silo in <paramref name="silos"/> stores exactly the same live versions of every key.</summary>
    private static async Task<bool> ReplicasEqualAsync(SiloProcesses cluster, IEnumerable<string> keys, string[] silos, int copies)
    {
        foreach (var key in keys)
        {
            var stored = await cluster.StoredVersionsAsync(key, silos);
            if (stored.Count != copies || stored.Values.Distinct().Count() != 1) return false;
        }
        return true;
    }

    private static async Task WarmUpAsync(HttpClient http, string url, int w)
    {
        // Every silo sees the others once a write with w = all succeeds.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(await http.PutAsync($"{url}/v1/default/keys/warm-up?w={w}", new StringContent("x"))).IsSuccessStatusCode)
        {
            Assert.True(DateTime.UtcNow < deadline, "the silos never saw each other");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task Killing_one_of_three_silo_processes_loses_no_write_it_is_declared_dead_within_ten_seconds_and_after_restart_its_replicas_equal_the_others()
    {
        await using var cluster = new SiloProcesses();
        string[] ids = ["silo-1", "silo-2", "silo-3"];
        foreach (var id in ids) await cluster.StartAsync(id);
        var urls = cluster.Urls;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        await WarmUpAsync(http, urls["silo-1"], 3);

        var acknowledged = new ConcurrentDictionary<string, string>();
        var failedWrites = 0;
        var failedReads = 0;
        var reads = 0;
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var key = $"fault-{i}";
                var response = await http.PutAsync($"{urls["silo-1"]}/v1/default/keys/{key}", new StringContent("v" + i));
                if (response.IsSuccessStatusCode) acknowledged[key] = "v" + i;
                else Interlocked.Increment(ref failedWrites);
            }
        });
        var reader = Task.Run(async () =>
        {
            var random = new Random(7);
            while (!stop.IsCancellationRequested)
            {
                var keys = acknowledged.Keys.ToArray();
                if (keys.Length == 0)
                {
                    await Task.Delay(10);
                    continue;
                }
                var response = await http.GetAsync($"{urls["silo-2"]}/v1/default/keys/{keys[random.Next(keys.Length)]}");
                Interlocked.Increment(ref reads);
                if (!response.IsSuccessStatusCode) Interlocked.Increment(ref failedReads);
            }
        });

        await Task.Delay(1500);
        cluster.Kill9("silo-3");
        var detected = await cluster.WaitForStatusAsync("silo-3", SiloStatus.Dead, TimeSpan.FromSeconds(10));
        await Task.Delay(1000);
        await stop.CancelAsync();
        await Task.WhenAll(writer, reader);

        Assert.True(acknowledged.Count > 50, $"only {acknowledged.Count} writes were acknowledged");
        Assert.True(reads > 50, $"only {reads} reads ran");
        Assert.Equal(0, failedReads);
        Assert.Equal(0, failedWrites);
        foreach (var (key, value) in acknowledged)
            Assert.Equal(value, await http.GetStringAsync($"{urls["silo-2"]}/v1/default/keys/{key}"));

        var repair = Stopwatch.StartNew();
        await cluster.StartAsync("silo-3");
        await cluster.WaitForStatusAsync("silo-3", SiloStatus.Active, TimeSpan.FromSeconds(10));
        await Cluster.ClusterFixture.EventuallyAsync(() => ReplicasEqualAsync(cluster, acknowledged.Keys, ids, 3), "the restarted silo's replicas equal the others'", TimeSpan.FromSeconds(60));
        output.WriteLine($"declared dead after {detected.TotalMilliseconds:0} ms; {acknowledged.Count} writes and {reads} reads during the fault, " +
            $"{failedWrites} writes and {failedReads} reads failed; after restart, every replica equal in {repair.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task When_a_killed_silo_process_never_returns_every_key_is_rebuilt_to_three_replicas_on_the_others()
    {
        await using var cluster = new SiloProcesses();
        string[] ids = ["silo-1", "silo-2", "silo-3", "silo-4"];
        foreach (var id in ids) await cluster.StartAsync(id);
        var urls = cluster.Urls;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        await WarmUpAsync(http, urls["silo-1"], 3);
        await Task.Delay(1500); // every silo has re-read the table and sees four
        var keys = Enumerable.Range(0, 60).Select(i => $"orphan-{i}").ToList();
        foreach (var key in keys)
            Assert.True((await http.PutAsync($"{urls["silo-1"]}/v1/default/keys/{key}?w=3", new StringContent(key))).IsSuccessStatusCode);

        cluster.Kill9("silo-4");
        var detected = await cluster.WaitForStatusAsync("silo-4", SiloStatus.Dead, TimeSpan.FromSeconds(10));
        var repair = Stopwatch.StartNew();
        string[] survivors = ["silo-1", "silo-2", "silo-3"];
        await Cluster.ClusterFixture.EventuallyAsync(() => ReplicasEqualAsync(cluster, keys, survivors, 3), "every key back to three replicas", TimeSpan.FromSeconds(60));
        output.WriteLine($"declared dead after {detected.TotalMilliseconds:0} ms; every key back to 3 replicas {repair.Elapsed.TotalSeconds:0.0} s later");
        foreach (var key in keys)
            Assert.Equal(key, await http.GetStringAsync($"{urls["silo-2"]}/v1/default/keys/{key}?r=3"));
    }
}
