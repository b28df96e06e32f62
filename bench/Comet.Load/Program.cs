using System.Diagnostics;
using System.Globalization;
using Comet.Client;
using Comet.Load;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
if (args.Length > 0 && args[0] == "floor-silos") return await Floor.RunSilosAsync(args);
var options = LoadOptions.Parse(args);
if (options.Floor is { } floor)
{
    Console.WriteLine($"Comet.Load floor {DateTime.UtcNow:yyyy-MM-dd HH:mm:ss} UTC, load average {Machine.LoadAverage()}, gateways {string.Join(", ", floor)}");
    await Floor.RunLoadAsync(options, floor);
    return 0;
}
var total = Stopwatch.StartNew();
Console.WriteLine($"Comet.Load {DateTime.UtcNow:yyyy-MM-dd HH:mm:ss} UTC, {Environment.ProcessorCount} cores, load average {Machine.LoadAverage()}, " +
    $"server GC {System.Runtime.GCSettings.IsServerGC}, concurrent GC {AppContext.TryGetSwitch("System.GC.Concurrent", out var c) && c}, " +
    $"connections/gateway {options.ConnectionsPerSilo}, duration {options.Duration.TotalSeconds} s, keys {options.Keys}, value {options.ValueBytes} B");

InProcessCluster? cluster = null;
string[] gateways;
if (options.Gateways is { Length: > 0 } g)
{
    gateways = g;
    Console.WriteLine($"target: existing cluster, SDK gateways {string.Join(", ", gateways)}" +
        (options.WatchPids.Length > 0 ? $"; silo CPU from pid {string.Join(",", options.WatchPids)}" : ""));
}
else
{
    var started = Stopwatch.StartNew();
    cluster = await InProcessCluster.StartAsync(3, options.Memory);
    gateways = cluster.Gateways;
    Console.WriteLine($"target: 3 CometSilos in this process ({(options.Memory ? "memory store" : "SQLite " + cluster.DataPath)}, " +
        $"REST {string.Join(", ", cluster.Silos.Select(s => s.HttpAddress))}), gateways {string.Join(", ", gateways)}, " +
        $"started in {started.Elapsed.TotalSeconds:F1} s");
}

var results = new List<Result>();
var halfLoad = new List<Result>();
try
{
    await using var client = await CometClient.ConnectAsync(new CometClientOptions
    {
        Gateways = gateways,
        ConnectionsPerSilo = options.ConnectionsPerSilo,
        RequestTimeout = TimeSpan.FromSeconds(30),
        ClusterId = cluster?.ClusterId ?? options.ClusterId,
    });
    var silos = await client.GetClusterAsync();
    Console.WriteLine($"cluster: {string.Join(", ", silos.Select(s => $"{s.Id} {s.Status}"))}");

    if (options.PreloadRest is { } restPrefix)
    {
        await Preload.RestKeysAsync(client, options, restPrefix);
        return 0;
    }

    var value = new byte[options.ValueBytes];
    Random.Shared.NextBytes(value);
    var run = $"{Environment.ProcessId}-{DateTime.UtcNow:HHmmss}";
    string[] Keys(string prefix) => Enumerable.Range(0, options.Keys).Select(i => $"load-{run}-{prefix}-{i}").ToArray();
    var ns = options.Namespace;
    var put1 = new PutOptions { Namespace = ns, N = 1, W = 1 };
    var put3 = new PutOptions { Namespace = ns, N = 3, W = 2 };
    var get1 = new GetOptions { Namespace = ns, N = 1, R = 1 };
    var get3 = new GetOptions { Namespace = ns, N = 3, R = 2 };

    var scenarios = new List<Scenario>
    {
        new("PUT N=1/W=1", Keys("p1"), k => client.PutAsync(k, value, put1), put1, null),
        new("GET N=1/R=1", Keys("p1"), k => client.GetAsync(k, get1), put1, null),
        new("PUT N=3/W=2", Keys("p3"), k => client.PutAsync(k, value, put3), put3, null),
        new("GET N=3/R=2", Keys("p3"), k => client.GetAsync(k, get3), put3, null),
        new("ASO GET N=1", Keys("a1"), k => client.GetAsync(k, get1), put1, Preload.CounterAso),
        new("ASO GET N=3/R=2", Keys("a3"), k => client.GetAsync(k, get3), put3, Preload.CounterAso),
    };
    // The GETs read the keys their PUT scenario wrote: share the arrays.
    scenarios[1] = scenarios[1] with { Keys = scenarios[0].Keys };
    scenarios[3] = scenarios[3] with { Keys = scenarios[2].Keys };
    if (options.Diagnostics)
    {
        scenarios.Add(new("ASO-RO GET N=1", Keys("r1"), k => client.GetAsync(k, get1), put1, Preload.ReadOnlyAso));
        scenarios.Add(new("ASO-RO GET N=3", Keys("r3"), k => client.GetAsync(k, get3), put3, Preload.ReadOnlyAso));
    }
    if (options.Only is { } only)
    {
        var wanted = scenarios.Where(s => only.Any(o => s.Name.Contains(o, StringComparison.OrdinalIgnoreCase))).ToList();
        // A rate scenario needs its closed-loop peak unless the rates are given.
        if (!options.NoRate && options.Rates is null)
            wanted.AddRange(scenarios.Where(s => options.RateScenarios.Contains(s.Name) && !wanted.Contains(s)));
        scenarios = scenarios.Where(wanted.Contains).ToList();
    }

    // Preload every key a scenario reads (and the PUT keys, so PUTs overwrite like the old runs did).
    var preload = Stopwatch.StartNew();
    var preloaded = 0;
    foreach (var group in scenarios.GroupBy(s => s.Keys))
    {
        var s = group.First();
        await Parallel.ForEachAsync(s.Keys, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (k, ct) =>
        {
            if (s.AsoCode is { } code) await client.PutAsoAsync(k, code, s.PutOptions, ct);
            else await client.PutAsync(k, value, s.PutOptions, ct);
        });
        preloaded += s.Keys.Length;
    }
    Console.WriteLine($"preloaded {preloaded} keys in {preload.Elapsed.TotalSeconds:F1} s");

    var watch = new ProcessWatch(options.WatchPids);
    Console.WriteLine();
    Console.WriteLine(Result.Header);
    foreach (var scenario in scenarios)
    {
        if (options.Warmup > TimeSpan.Zero) await Runner.ClosedLoopAsync(scenario, 64, options.Warmup, watch, warmup: true);
        foreach (var concurrency in options.Concurrency)
        {
            var r = await Runner.ClosedLoopAsync(scenario, concurrency, options.Duration, watch, warmup: false);
            results.Add(r);
            Console.WriteLine(r.Row());
        }
    }

    if (!options.NoRate)
    {
        foreach (var name in options.RateScenarios)
        {
            var scenario = scenarios.FirstOrDefault(s => s.Name == name);
            if (scenario is null) continue;
            var rates = options.Rates;
            if (rates is null)
            {
                var peak = results.Where(r => r.Name == name).Select(r => r.OpsPerSecond).DefaultIfEmpty(0).Max();
                if (peak <= 0) continue;
                rates = [peak / 2];
            }
            foreach (var rate in rates)
            {
                var (fromSend, fromIntended) = await Runner.PacedAsync(scenario, rate, options.Duration, options.RateWorkers, watch);
                results.Add(fromSend);
                results.Add(fromIntended);
                if (options.Rates is null) halfLoad.Add(fromSend);
                Console.WriteLine(fromSend.Row());
                Console.WriteLine(fromIntended.Row() + "   (* from the scheduled send time)");
                if (options.OpenLoop)
                {
                    var (open, openIntended) = await Runner.OpenLoopAsync(scenario, rate, options.Duration, watch);
                    results.Add(open);
                    results.Add(openIntended);
                    Console.WriteLine(open.Row() + "   (open loop, one dispatcher thread)");
                    Console.WriteLine(openIntended.Row() + "   (* open loop, from the intended send time)");
                }
            }
        }
    }

    Console.WriteLine();
    Console.WriteLine($"client: {client.Statistics}");

    RedisResults? redis = null;
    if (options.Redis) redis = await RedisBench.RunAsync(options.RedisRequests, options.RedisPort);
    Report.Ratios(results, redis, halfLoad);
}
finally
{
    if (cluster is not null) await cluster.DisposeAsync();
}
Console.WriteLine($"total {total.Elapsed.TotalSeconds:F0} s, load average {Machine.LoadAverage()}");
return 0;
