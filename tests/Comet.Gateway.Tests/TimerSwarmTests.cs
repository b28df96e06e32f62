using System.Diagnostics;
using System.Net;
using Comet.Gateway.Tests.Support;
using Comet.Grains.Timers;
using Microsoft.Extensions.DependencyInjection;

namespace Comet.Gateway.Tests;

/// <summary>The per-silo timer budget on its own, with a clock the test moves.</summary>
public sealed class TimerBudgetTests
{
    private static (TimerBudget Budget, ManualTime Time) Create(Action<TimerBudgetOptions>? configure = null)
    {
        var options = new TimerBudgetOptions { CpuShare = 0.5 / Environment.ProcessorCount, MaxConcurrent = 2, Window = TimeSpan.FromSeconds(2) };
        configure?.Invoke(options);
        var time = new ManualTime();
        return (new TimerBudget(options, time), time);
    }

    [Fact]
    public void At_most_MaxConcurrent_timer_calls_run_at_once()
    {
        var (budget, _) = Create();

        Assert.True(budget.TryStart("a", "o1"));
        Assert.True(budget.TryStart("a", "o2"));
        Assert.False(budget.TryStart("a", "o3"));
        budget.Finish("a", "o1", TimeSpan.Zero, failed: false);
        Assert.True(budget.TryStart("a", "o3"));
    }

    [Fact]
    public void Over_the_silo_share_a_busy_namespace_waits_while_a_quiet_one_still_runs()
    {
        var (budget, time) = Create();
        // Namespace "busy" spends 2 s of timer time at once: far past 0.5 CPU-s/s.
        Assert.True(budget.TryStart("busy", "b1"));
        budget.Finish("busy", "b1", TimeSpan.FromSeconds(2), failed: false);

        Assert.False(budget.TryStart("busy", "b2"));
        Assert.True(budget.TryStart("quiet", "q1"));
        budget.Finish("quiet", "q1", TimeSpan.FromMilliseconds(1), failed: false);

        // The usage decays with the window: the busy namespace runs again later.
        time.Advance(TimeSpan.FromSeconds(20));
        Assert.True(budget.TryStart("busy", "b2"));
    }

    [Fact]
    public void A_failing_timer_backs_off_longer_each_time_and_a_clean_run_clears_it()
    {
        var (budget, time) = Create(o => { o.FirstBackOff = TimeSpan.FromSeconds(2); o.CpuShare = 1; });
        Assert.True(budget.TryStart("a", "o"));
        budget.Finish("a", "o", TimeSpan.Zero, failed: true);
        Assert.False(budget.TryStart("a", "o"));
        time.Advance(TimeSpan.FromSeconds(2.1));
        Assert.True(budget.TryStart("a", "o"));
        budget.Finish("a", "o", TimeSpan.Zero, failed: true);
        time.Advance(TimeSpan.FromSeconds(2.1));
        Assert.False(budget.TryStart("a", "o"));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.True(budget.TryStart("a", "o"));
        budget.Finish("a", "o", TimeSpan.Zero, failed: false);
        Assert.True(budget.TryStart("a", "o"));
    }
}

/// <summary>One silo whose handlers may run for their whole time limit (no instruction cap), for the swarm.</summary>
public sealed class SwarmClusterFixture : ClusterFixture
{
    protected override int Silos => 1;

    protected override IDictionary<string, string?> Configuration => new Dictionary<string, string?>
    {
        ["Comet:Sandbox:InstructionLimit"] = "2000000000",
    };
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SwarmCollection : ICollectionFixture<SwarmClusterFixture>
{
    public const string Name = "timer swarm";
}

/// <summary>
/// Class 5 of the sandbox robustness issue: twelve objects whose onTimer uses its whole 250 ms
/// every second (the attack drove a silo to 199 % CPU and a control GET to 2.5 s) must not raise
/// other keys' GET latency past twice their idle p99, measured in the same test.
/// </summary>
[Collection(SwarmCollection.Name)]
public sealed class TimerSwarmTests(SwarmClusterFixture fixture)
{
    private const string Ns = "default";

    [Fact]
    public async Task A_timer_swarm_does_not_raise_other_keys_get_latency_past_twice_the_idle_p99()
    {
        var http = fixture.Http;
        var keys = Enumerable.Range(0, 50).Select(i => ClusterFixture.NewKey("control")).ToArray();
        foreach (var key in keys)
        {
            using var put = await http.PutAsync(Ns, key, "value of " + key, query: "n=1&w=1");
            await RestCalls.ExpectAsync(put, HttpStatusCode.Created);
        }
        await MeasureAsync(http, keys, TimeSpan.FromSeconds(2)); // warm-up
        var idle = await MeasureAsync(http, keys, TimeSpan.FromSeconds(6));

        var budget = fixture.Cluster.Silos[0].Services.GetRequiredService<TimerBudget>();
        long startedBefore = budget.Started;
        for (int i = 0; i < 12; i++)
        {
            // Half use their whole time limit and fail; half spin for 200 ms and succeed.
            string code = i % 2 == 0
                ? "aso.timerPeriod = 1 function aso:onTimer() while true do end end"
                : "aso.timerPeriod = 1 aso.runs = 0 function aso:onTimer() local t = comet.getSystemTime() while comet.getSystemTime() - t < 200 do end self.runs = self.runs + 1 end";
            using var put = await http.PutAsoAsync(Ns, ClusterFixture.NewKey("swarm"), code, query: "n=1&w=1");
            await RestCalls.ExpectAsync(put, HttpStatusCode.Created);
        }
        await Task.Delay(TimeSpan.FromSeconds(3));
        var swarm = await MeasureAsync(http, keys, TimeSpan.FromSeconds(8));

        double idleP99 = P99(idle);
        double swarmP99 = P99(swarm);
        Console.WriteLine($"idle p99 {idleP99:0.00} ms ({idle.Count} gets), swarm p99 {swarmP99:0.00} ms ({swarm.Count} gets); timers run {budget.Started - startedBefore}, refused {budget.Refused}");
        Assert.True(budget.Started - startedBefore > 0, "the swarm's timers never ran");
        Assert.True(budget.Refused > 0, "the budget never refused a timer call: the swarm did not press on it");
        // The idle p99 of a loopback GET can be a fraction of a millisecond; a floor of 10 ms keeps the
        // comparison about starvation (the attack's 2.5 s), not scheduler noise on a shared 2-core machine.
        double bound = 2 * Math.Max(idleP99, 10);
        Assert.True(swarmP99 <= bound, $"GET p99 rose from {idleP99:0.00} ms idle to {swarmP99:0.00} ms during the swarm (bound {bound:0.00} ms)");
    }

    private static async Task<List<double>> MeasureAsync(HttpClient http, string[] keys, TimeSpan duration)
    {
        var latencies = new List<double>();
        var clock = Stopwatch.StartNew();
        int i = 0;
        while (clock.Elapsed < duration)
        {
            long start = Stopwatch.GetTimestamp();
            using var get = await http.GetAsync(Ns, keys[i++ % keys.Length], query: "n=1&r=1");
            latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            await Task.Delay(2);
        }
        return latencies;
    }

    private static double P99(List<double> samples)
    {
        var sorted = samples.OrderBy(x => x).ToArray();
        return sorted[(int)Math.Min(sorted.Length - 1, Math.Ceiling(sorted.Length * 0.99) - 1)];
    }
}
