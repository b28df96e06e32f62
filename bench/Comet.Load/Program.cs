using System.Diagnostics;
using System.Globalization;
using System.Text;
using Comet.Client;
using Comet.Grid.Hosting;
using Comet.Load;
using Comet.Storage.Sqlite;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
var options = LoadOptions.Parse(args);
var total = Stopwatch.StartNew();
Console.WriteLine($"Comet.Load {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, load average {Machine.LoadAverage()}, " +
    $"server GC {System.Runtime.GCSettings.IsServerGC}, concurrent GC {AppContext.TryGetSwitch("System.GC.Concurrent", out var c) && c}, " +
    $"connections/silo {options.ConnectionsPerSilo}, duration {options.Duration.TotalSeconds} s");

TestCluster? cluster = null;
string? sqliteFile = null;
string gateway;
if (options.Gateway is { } g)
{
    gateway = g;
    Console.WriteLine($"target: existing cluster at {gateway}");
}
else
{
    var clusterOptions = new TestClusterOptions { InitialSilosCount = 3, Http = options.Http };
    if (options.Sqlite)
    {
        sqliteFile = Path.Combine(Path.GetTempPath(), $"comet-load-{Guid.NewGuid():N}.db");
        clusterOptions.Storage = () => new SqliteStorageProvider(new SqliteStorageOptions { DataSource = sqliteFile });
    }
    cluster = await TestCluster.StartAsync(clusterOptions);
    gateway = $"127.0.0.1:{cluster.Silos[0].GatewayPort}";
    Console.WriteLine($"target: in-process 3-silo cluster ({(options.Sqlite ? "SQLite " + sqliteFile : "memory store")}, HTTP {(options.Http ? "on" : "off")}), gateway {gateway}");
}

var results = new List<Result>();
try
{
    await using var client = await CometClient.ConnectAsync(new CometClientOptions
    {
        Gateways = [gateway],
        ConnectionsPerSilo = options.ConnectionsPerSilo,
        ClientId = "comet-load",
    });
    Console.WriteLine($"client sees {client.KnownSilos.Count} silos");

    var value = new byte[options.ValueBytes];
    Random.Shared.NextBytes(value);
    var run = $"{Environment.ProcessId}-{DateTime.UtcNow:HHmmss}";
    string[] Keys(string prefix) => Enumerable.Range(0, options.Keys).Select(i => $"load-{run}-{prefix}-{i}").ToArray();
    var p1 = Keys("p1");
    var p3 = Keys("p3");
    var a1 = Keys("a1");
    var a3 = Keys("a3");
    var r1 = Keys("r1");
    var r3 = Keys("r3");
    var put1 = new PutOptions { N = 1, W = 1 };
    var put3 = new PutOptions { N = 3, W = 2 };
    var get1 = new GetOptions { N = 1, R = 1 };
    var get3 = new GetOptions { N = 3, R = 2 };
    const string counterAso = """
        aso.count = 0
        function aso:onGet(caller)
          self.count = self.count + 1
          return self.count
        end
        """;

    // Diagnostics: an onGet that changes no state (no re-encode, no dirty flush), to split the ASO cost.
    const string readOnlyAso = """
        aso.count = 0
        function aso:onGet(caller)
          return self.count + 1
        end
        """;

    // Preload every key so that GETs hit and ASOs exist.
    var preload = Stopwatch.StartNew();
    await Parallel.ForEachAsync(Enumerable.Range(0, options.Keys), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, ct) =>
    {
        await client.PutAsync(p1[i], value, put1, ct);
        await client.PutAsync(p3[i], value, put3, ct);
        await client.PutAsoAsync(a1[i], counterAso, put1, ct);
        await client.PutAsoAsync(a3[i], counterAso, put3, ct);
        if (options.Diagnostics)
        {
            await client.PutAsoAsync(r1[i], readOnlyAso, put1, ct);
            await client.PutAsoAsync(r3[i], readOnlyAso, put3, ct);
        }
    });
    Console.WriteLine($"preloaded {4 * options.Keys} keys in {preload.Elapsed.TotalSeconds:F1} s");

    var scenarios = new List<Scenario>
    {
        new("PUT N=1/W=1", p1, k => client.PutAsync(k, value, put1)),
        new("GET N=1/R=1", p1, k => client.GetAsync(k, get1)),
        new("PUT N=3/W=2", p3, k => client.PutAsync(k, value, put3)),
        new("GET N=3/R=2", p3, k => client.GetAsync(k, get3)),
        new("ASO GET N=1", a1, k => client.GetAsync(k, get1)),
        new("ASO GET N=3/R=2", a3, k => client.GetAsync(k, get3)),
    };
    if (options.Diagnostics)
    {
        scenarios.Add(new("ASO-RO GET N=1", r1, k => client.GetAsync(k, get1)));
        scenarios.Add(new("ASO-RO GET N=3", r3, k => client.GetAsync(k, get3)));
    }
    if (options.Only is { } only) scenarios = scenarios.Where(s => s.Name.Contains(only, StringComparison.OrdinalIgnoreCase)).ToList();

    Console.WriteLine();
    Console.WriteLine(Result.Header);
    foreach (var scenario in scenarios)
    {
        await Runner.ClosedLoopAsync(scenario, 64, options.Warmup, warmup: true);
        foreach (var concurrency in options.Concurrency)
        {
            var r = await Runner.ClosedLoopAsync(scenario, concurrency, options.Duration, warmup: false);
            results.Add(r);
            Console.WriteLine(r.Row());
        }
    }

    // p99 at half of the peak passive GET (N=1) throughput, open loop.
    var peakGet = results.Where(r => r.Name == "GET N=1/R=1").OrderByDescending(r => r.OpsPerSecond).FirstOrDefault();
    Result? halfLoad = null;
    if (peakGet is not null && !options.NoHalfLoad)
    {
        var getScenario = scenarios.First(s => s.Name == "GET N=1/R=1");
        var (pacedSend, pacedIntended) = await Runner.PacedAsync(getScenario, peakGet.OpsPerSecond / 2, options.Duration, 64);
        halfLoad = pacedSend;
        results.Add(pacedSend);
        results.Add(pacedIntended);
        Console.WriteLine(pacedSend.Row());
        Console.WriteLine(pacedIntended.Row() + "   (* from the scheduled send time)");
        var (fromSend, fromIntended) = await Runner.RateLimitedAsync(getScenario, peakGet.OpsPerSecond / 2, options.Duration);
        results.Add(fromSend);
        results.Add(fromIntended);
        Console.WriteLine(fromSend.Row() + "   (open loop, one dispatcher thread)");
        Console.WriteLine(fromIntended.Row() + "   (* open loop, from the intended send time)");
    }

    Console.WriteLine();
    Console.WriteLine($"client retries {client.Statistics.Retries}, view refreshes {client.Statistics.ViewRefreshes}; requests by silo: " +
        string.Join(", ", client.Statistics.RequestsBySilo.Select(kv => $"{kv.Key}={kv.Value}")));

    RedisResults? redis = null;
    if (options.Redis)
    {
        redis = await RedisBench.RunAsync(options.RedisRequests);
    }
    Report.Ratios(results, redis, halfLoad);
}
finally
{
    if (cluster is not null) await cluster.DisposeAsync();
    if (sqliteFile is not null)
    {
        foreach (var f in new[] { sqliteFile, sqliteFile + "-wal", sqliteFile + "-shm" })
        {
            try { File.Delete(f); } catch (IOException) { }
        }
    }
}
Console.WriteLine($"total {total.Elapsed.TotalSeconds:F0} s, load average {Machine.LoadAverage()}");
return 0;

namespace Comet.Load
{
    internal sealed record Scenario(string Name, string[] Keys, Func<string, ValueTask<CometGetResult>>? Get, Func<string, ValueTask<CometPutResult>>? Put)
    {
        public Scenario(string name, string[] keys, Func<string, ValueTask<CometGetResult>> get) : this(name, keys, get, null) { }

        public Scenario(string name, string[] keys, Func<string, ValueTask<CometPutResult>> put) : this(name, keys, null, put) { }

        public async ValueTask InvokeAsync(string key)
        {
            if (Get is not null) await Get(key);
            else await Put!(key);
        }
    }

    internal sealed record Result(string Name, string Mode, long Ops, long Errors, double Seconds, LatencySummary Latency,
        double CpuMicrosPerOp, double AllocBytesPerOp, int Gen0, int Gen1, int Gen2, long LockContentions, string LoadAverage)
    {
        public double OpsPerSecond => Ops / Seconds;

        public const string Header =
            "scenario          mode           ops/s     p50 ms   p99 ms  p99.9 ms   max ms  errors  CPU µs/op  alloc B/op  gen0/1/2   locks  loadavg";

        public string Row() =>
            $"{Name,-17} {Mode,-10} {OpsPerSecond,9:N0} {Latency.P50Ms,9:F3} {Latency.P99Ms,8:F3} {Latency.P999Ms,9:F3} {Latency.MaxMs,8:F1} {Errors,7} " +
            $"{CpuMicrosPerOp,10:F1} {AllocBytesPerOp,11:N0} {Gen0,4}/{Gen1}/{Gen2} {LockContentions,7}  {LoadAverage}";
    }

    internal static class Machine
    {
        public static string LoadAverage()
        {
            try
            {
                return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
            }
            catch (IOException)
            {
                return "?";
            }
        }
    }

    /// <summary>Process-wide counters around a measurement (client and silos share the process in-process).</summary>
    internal readonly struct Counters
    {
        private readonly TimeSpan _cpu;
        private readonly long _alloc;
        private readonly int _g0, _g1, _g2;
        private readonly long _locks;

        private Counters(TimeSpan cpu, long alloc, int g0, int g1, int g2, long locks)
        {
            _cpu = cpu; _alloc = alloc; _g0 = g0; _g1 = g1; _g2 = g2; _locks = locks;
        }

        public static Counters Now()
        {
            using var p = Process.GetCurrentProcess();
            return new(p.TotalProcessorTime, GC.GetTotalAllocatedBytes(precise: false), GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), Monitor.LockContentionCount);
        }

        public Result ToResult(Counters start, string name, string mode, long ops, long errors, double seconds, long[] sorted)
        {
            double perOp = Math.Max(ops, 1);
            return new Result(name, mode, ops, errors, seconds, LatencySummary.From(sorted),
                (_cpu - start._cpu).TotalMicroseconds / perOp, (_alloc - start._alloc) / perOp,
                _g0 - start._g0, _g1 - start._g1, _g2 - start._g2, _locks - start._locks, Machine.LoadAverage());
        }
    }

    internal static class Runner
    {
        public static async Task<Result> ClosedLoopAsync(Scenario s, int concurrency, TimeSpan duration, bool warmup)
        {
            var recorder = new Recorder(concurrency);
            long errors = 0;
            long stopAt = 0;
            var start = Counters.Now();
            var sw = Stopwatch.StartNew();
            stopAt = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            var workers = new Task[concurrency];
            for (int w = 0; w < concurrency; w++)
            {
                int worker = w;
                workers[w] = Task.Run(async () =>
                {
                    var rng = new Random(worker * 7919 + 1);
                    while (true)
                    {
                        long t0 = Stopwatch.GetTimestamp();
                        if (t0 >= stopAt) break;
                        try
                        {
                            await s.InvokeAsync(s.Keys[rng.Next(s.Keys.Length)]);
                            recorder.Record(worker, Stopwatch.GetTimestamp() - t0);
                        }
                        catch (Exception e)
                        {
                            if (Interlocked.Increment(ref errors) <= 3 && !warmup) Console.Error.WriteLine($"{s.Name}: {e.GetType().Name}: {e.Message}");
                        }
                    }
                });
            }
            await Task.WhenAll(workers);
            double seconds = sw.Elapsed.TotalSeconds;
            var end = Counters.Now();
            var sorted = recorder.Sorted();
            return end.ToResult(start, s.Name, $"c={concurrency}", sorted.Length, errors, seconds, sorted);
        }

        /// <summary>
        /// Paced (wrk2-style): <paramref name="workers"/> closed-loop workers, each sending at rate/workers on its own
        /// schedule (sleeping when ahead, sending at once when behind). Latency from the actual send (service time at
        /// that load) and from the scheduled time (includes falling behind).
        /// </summary>
        public static async Task<(Result FromSend, Result FromIntended)> PacedAsync(Scenario s, double rate, TimeSpan duration, int workers)
        {
            var fromSend = new Recorder(workers);
            var fromIntended = new Recorder(workers);
            long errors = 0;
            var start = Counters.Now();
            long t0 = Stopwatch.GetTimestamp();
            long end = t0 + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            double interval = Stopwatch.Frequency * workers / rate;
            long oneMs = Stopwatch.Frequency / 1000;
            var tasks = new Task[workers];
            for (int w = 0; w < workers; w++)
            {
                int worker = w;
                tasks[w] = Task.Run(async () =>
                {
                    var rng = new Random(worker * 31 + 7);
                    double next = t0 + interval * worker / workers;
                    while (true)
                    {
                        long now = Stopwatch.GetTimestamp();
                        if (now >= end) break;
                        if (next - now > oneMs)
                        {
                            await Task.Delay(TimeSpan.FromSeconds((next - now) / Stopwatch.Frequency));
                            continue;
                        }
                        long sent = Stopwatch.GetTimestamp();
                        long intended = (long)next;
                        next += interval;
                        try
                        {
                            await s.InvokeAsync(s.Keys[rng.Next(s.Keys.Length)]);
                            long done = Stopwatch.GetTimestamp();
                            fromSend.Record(worker, done - sent);
                            fromIntended.Record(worker, done - Math.Min(intended, sent));
                        }
                        catch (Exception)
                        {
                            Interlocked.Increment(ref errors);
                        }
                    }
                });
            }
            await Task.WhenAll(tasks);
            double seconds = (Stopwatch.GetTimestamp() - t0) / (double)Stopwatch.Frequency;
            var endCounters = Counters.Now();
            var sortedSend = fromSend.Sorted();
            return (endCounters.ToResult(start, s.Name, $"paced {rate / 1000:F0}k", sortedSend.Length, errors, seconds, sortedSend),
                endCounters.ToResult(start, s.Name, $"paced {rate / 1000:F0}k*", sortedSend.Length, errors, seconds, fromIntended.Sorted()));
        }

        /// <summary>
        /// Open loop: a dedicated dispatcher thread wakes every ~1 ms and sends the requests that are due (at most
        /// 1,024 in flight). Two latencies: from the intended send time (includes the dispatcher's own lateness and
        /// any queueing: no coordinated omission) and from the actual send (the service time the goal means).
        /// </summary>
        public static async Task<(Result FromSend, Result FromIntended)> RateLimitedAsync(Scenario s, double rate, TimeSpan duration)
        {
            var fromSend = new Recorder(1);
            var fromIntended = new Recorder(1);
            var gate = new object();
            long errors = 0;
            long inFlight = 0;
            long dropped = 0;
            var start = Counters.Now();
            long t0 = Stopwatch.GetTimestamp();
            long end = t0 + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            var pending = new List<Task>();
            double ticksPerRequest = Stopwatch.Frequency / rate;

            async Task Fire(string key, long intended)
            {
                long sent = Stopwatch.GetTimestamp();
                try
                {
                    await s.InvokeAsync(key);
                    long done = Stopwatch.GetTimestamp();
                    lock (gate)
                    {
                        fromSend.Record(0, done - sent);
                        fromIntended.Record(0, done - intended);
                    }
                }
                catch (Exception)
                {
                    Interlocked.Increment(ref errors);
                }
                finally
                {
                    Interlocked.Decrement(ref inFlight);
                }
            }

            var dispatcher = new Thread(() =>
            {
                var rng = new Random(42);
                long issued = 0;
                while (true)
                {
                    long now = Stopwatch.GetTimestamp();
                    if (now >= end) break;
                    long due = (long)((now - t0) / ticksPerRequest);
                    for (; issued < due; issued++)
                    {
                        if (Interlocked.Read(ref inFlight) >= 1024)
                        {
                            dropped++;
                            continue;
                        }
                        Interlocked.Increment(ref inFlight);
                        pending.Add(Fire(s.Keys[rng.Next(s.Keys.Length)], t0 + (long)(issued * ticksPerRequest)));
                    }
                    if (pending.Count > 4096) pending.RemoveAll(t => t.IsCompleted);
                    Thread.Sleep(1);
                }
            }) { IsBackground = true, Name = "rate-dispatcher", Priority = ThreadPriority.AboveNormal };
            dispatcher.Start();
            dispatcher.Join();
            await Task.WhenAll(pending);
            double seconds = (Stopwatch.GetTimestamp() - t0) / (double)Stopwatch.Frequency;
            var endCounters = Counters.Now();
            if (dropped > 0) Console.Error.WriteLine($"rate-limited pass: {dropped} requests not sent (1,024 already in flight)");
            var sortedSend = fromSend.Sorted();
            return (endCounters.ToResult(start, s.Name, $"@{rate:F0}/s", sortedSend.Length, errors + dropped, seconds, sortedSend),
                endCounters.ToResult(start, s.Name, $"@{rate:F0}/s*", sortedSend.Length, errors + dropped, seconds, fromIntended.Sorted()));
        }
    }
}
