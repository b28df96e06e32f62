using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Comet.Grid.Membership;
using Xunit.Abstractions;

namespace Comet.Grid.Tests.Process;

/// <summary>
/// Churn: for 60 seconds, one of three silo processes at a time is killed with SIGKILL and
/// restarted while writers keep going; then every acknowledged write in the whole history is checked.
/// </summary>
public class ChurnTests(ITestOutputHelper output)
{
    private static readonly TimeSpan LoadTime = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Silos_killed_and_restarted_during_a_minute_of_load_lose_no_acknowledged_write()
    {
        await using var cluster = new SiloProcesses();
        string[] ids = ["silo-1", "silo-2", "silo-3"];
        foreach (var id in ids) await cluster.StartAsync(id);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        var warm = Stopwatch.StartNew();
        while ((await cluster.PutAnywhereAsync(http, "/v1/default/keys/warm-up?w=3", "x", 0))?.IsSuccessStatusCode != true)
        {
            Assert.True(warm.Elapsed < TimeSpan.FromSeconds(30), "the silos never saw each other");
            await Task.Delay(200);
        }

        // Write-once keys: each acknowledged put must be readable at the end.
        var once = new ConcurrentDictionary<string, string>();
        // Overwritten keys: the last acknowledged value of each must survive (alone, or among siblings).
        var lastWritten = new ConcurrentDictionary<string, string>();
        var failed = 0;
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 2).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var key = $"once-{w}-{i}";
                var response = await cluster.PutAnywhereAsync(http, $"/v1/default/keys/{key}", $"{w}:{i}", i);
                if (response?.IsSuccessStatusCode == true) once[key] = $"{w}:{i}";
                else Interlocked.Increment(ref failed);
            }
        })).ToList();
        writers.Add(Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var key = $"hot-{i % 16}";
                var response = await cluster.PutAnywhereAsync(http, $"/v1/default/keys/{key}", $"h{i}", i);
                if (response?.IsSuccessStatusCode == true) lastWritten[key] = $"h{i}";
                else Interlocked.Increment(ref failed);
            }
        }));

        var faults = new List<string>();
        var clock = Stopwatch.StartNew();
        var random = new Random(11);
        while (clock.Elapsed < LoadTime - TimeSpan.FromSeconds(10))
        {
            await Task.Delay(TimeSpan.FromSeconds(3));
            var victim = ids[random.Next(ids.Length)];
            var failedBefore = Volatile.Read(ref failed);
            cluster.Kill9(victim);
            var detected = await cluster.WaitForStatusAsync(victim, SiloStatus.Dead, TimeSpan.FromSeconds(10));
            await cluster.StartAsync(victim);
            faults.Add($"{victim}: dead after {detected.TotalMilliseconds:0} ms, {Volatile.Read(ref failed) - failedBefore} failed puts");
        }
        while (clock.Elapsed < LoadTime) await Task.Delay(200);
        await stop.CancelAsync();
        await Task.WhenAll(writers);
        foreach (var f in faults) output.WriteLine(f);

        // Repair: every silo is back; anti-entropy (2 s period) converges the replicas.
        var urls = cluster.Urls;
        Assert.Equal(3, urls.Count);
        var repair = Stopwatch.StartNew();
        var lost = new List<string>();
        foreach (var (key, value) in once)
        {
            var body = await ReadAsync(http, urls, key);
            if (body is null || !body.Contains(value, StringComparison.Ordinal)) lost.Add($"{key}={value} read {body ?? "404"}");
        }
        foreach (var (key, value) in lastWritten)
        {
            var body = await ReadAsync(http, urls, key);
            if (body is null || !Values(body).Contains(value)) lost.Add($"{key}={value} read {body ?? "404"}");
        }
        output.WriteLine($"{faults.Count} kills in {LoadTime.TotalSeconds:0} s; {once.Count + lastWritten.Count} keys checked " +
            $"({once.Count} write-once), {failed} puts failed (not acknowledged); checked in {repair.Elapsed.TotalSeconds:0.0} s");
        Assert.True(faults.Count >= 3, $"only {faults.Count} kills happened");
        Assert.True(once.Count > 200, $"only {once.Count} writes were acknowledged");
        Assert.Empty(lost);
    }

    /// <summary>Reads with r=2 through any silo; null when no silo has it.</summary>
    private static async Task<string?> ReadAsync(HttpClient http, IReadOnlyDictionary<string, string> urls, string key)
    {
        foreach (var url in urls.Values)
        {
            var response = await http.GetAsync($"{url}/v1/default/keys/{key}");
            if (response.StatusCode == HttpStatusCode.NotFound) continue;
            if (response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.MultipleChoices)
                return await response.Content.ReadAsStringAsync();
        }
        return null;
    }

    /// <summary>The value of a 200, or every sibling's value in a 300's JSON list.</summary>
    private static HashSet<string> Values(string body)
    {
        if (!body.StartsWith('[')) return [body];
        using var doc = JsonDocument.Parse(body);
        var values = new HashSet<string>();
        foreach (var item in doc.RootElement.EnumerateArray())
            values.Add(item.GetProperty("value").GetString() ?? "");
        return values;
    }
}
