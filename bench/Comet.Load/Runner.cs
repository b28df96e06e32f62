using System.Diagnostics;
using Comet.Client;

namespace Comet.Load;

internal sealed record Scenario(string Name, string[] Keys, Func<string, ValueTask<CometGetResult>>? Get, Func<string, ValueTask<CometPutResult>>? Put,
    PutOptions PutOptions, string? AsoCode)
{
    public Scenario(string name, string[] keys, Func<string, ValueTask<CometGetResult>> get, PutOptions putOptions, string? asoCode)
        : this(name, keys, get, null, putOptions, asoCode) { }

    public Scenario(string name, string[] keys, Func<string, ValueTask<CometPutResult>> put, PutOptions putOptions, string? asoCode)
        : this(name, keys, null, put, putOptions, asoCode) { }

    public async ValueTask InvokeAsync(string key)
    {
        if (Get is not null) await Get(key);
        else await Put!(key);
    }
}

internal sealed record Result(string Name, string Mode, long Ops, long Errors, double Seconds, LatencySummary Latency,
    double CpuMicrosPerOp, double SiloCpuMicrosPerOp, double AllocBytesPerOp, int Gen0, int Gen1, int Gen2, string LoadAverage)
{
    public double OpsPerSecond => Ops / Seconds;

    public const string Header =
        "scenario          mode              ops/s    p50 ms   p99 ms  p99.9 ms   max ms  errors  client µs/op  silo µs/op  alloc B/op  gen0/1/2  loadavg";

    public string Row() =>
        $"{Name,-17} {Mode,-13} {OpsPerSecond,9:N0} {Latency.P50Ms,9:F3} {Latency.P99Ms,8:F3} {Latency.P999Ms,9:F3} {Latency.MaxMs,8:F1} {Errors,7} " +
        $"{CpuMicrosPerOp,13:F1} {SiloCpuMicrosPerOp,11:F1} {AllocBytesPerOp,11:N0} {Gen0,4}/{Gen1}/{Gen2}  {LoadAverage}";
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

/// <summary>CPU time of other processes (the silo host) from /proc/PID/stat (utime + stime, all threads).</summary>
internal sealed class ProcessWatch(int[] pids)
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux

    public bool Any => pids.Length > 0;

    public TimeSpan Cpu()
    {
        double seconds = 0;
        foreach (var pid in pids)
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                // Fields after the ")" of the command name: state is field 3, utime 14, stime 15.
                var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                seconds += (long.Parse(rest[11]) + long.Parse(rest[12])) / TicksPerSecond;
            }
            catch (Exception ex) when (ex is IOException or FormatException or IndexOutOfRangeException)
            {
            }
        }
        return TimeSpan.FromSeconds(seconds);
    }
}

/// <summary>Counters around a measurement: this process (the client, plus the silos in-process mode), and the watched silo process.</summary>
internal readonly struct Counters
{
    private readonly TimeSpan _cpu;
    private readonly TimeSpan _siloCpu;
    private readonly long _alloc;
    private readonly int _g0, _g1, _g2;
    private readonly bool _watched;

    private Counters(TimeSpan cpu, TimeSpan siloCpu, bool watched, long alloc, int g0, int g1, int g2)
    {
        _cpu = cpu; _siloCpu = siloCpu; _watched = watched; _alloc = alloc; _g0 = g0; _g1 = g1; _g2 = g2;
    }

    public static Counters Now(ProcessWatch watch)
    {
        using var p = Process.GetCurrentProcess();
        return new(p.TotalProcessorTime, watch.Cpu(), watch.Any, GC.GetTotalAllocatedBytes(precise: false), GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
    }

    public Result ToResult(Counters start, string name, string mode, long ops, long errors, double seconds, long[] sorted)
    {
        double perOp = Math.Max(ops, 1);
        return new Result(name, mode, ops, errors, seconds, LatencySummary.From(sorted),
            (_cpu - start._cpu).TotalMicroseconds / perOp, _watched ? (_siloCpu - start._siloCpu).TotalMicroseconds / perOp : double.NaN,
            (_alloc - start._alloc) / perOp, _g0 - start._g0, _g1 - start._g1, _g2 - start._g2, Machine.LoadAverage());
    }
}

internal static class Runner
{
    public static async Task<Result> ClosedLoopAsync(Scenario s, int concurrency, TimeSpan duration, ProcessWatch watch, bool warmup)
    {
        var recorder = new Recorder(concurrency);
        long errors = 0;
        var start = Counters.Now(watch);
        var sw = Stopwatch.StartNew();
        long stopAt = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
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
        var end = Counters.Now(watch);
        var sorted = recorder.Sorted();
        return end.ToResult(start, s.Name, $"c={concurrency}", sorted.Length, errors, seconds, sorted);
    }

    /// <summary>
    /// Paced (wrk2-style): <paramref name="workers"/> workers, each sending at rate/workers on its own schedule (sleeping
    /// when ahead, sending at once when behind). Latency from the actual send (service time at that load) and from the
    /// scheduled time (includes falling behind: no coordinated omission).
    /// </summary>
    public static async Task<(Result FromSend, Result FromIntended)> PacedAsync(Scenario s, double rate, TimeSpan duration, int workers, ProcessWatch watch)
    {
        var fromSend = new Recorder(workers);
        var fromIntended = new Recorder(workers);
        long errors = 0;
        var start = Counters.Now(watch);
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
                    catch (Exception e)
                    {
                        if (Interlocked.Increment(ref errors) <= 3) Console.Error.WriteLine($"{s.Name} paced: {e.GetType().Name}: {e.Message}");
                    }
                }
            });
        }
        await Task.WhenAll(tasks);
        double seconds = (Stopwatch.GetTimestamp() - t0) / (double)Stopwatch.Frequency;
        var endCounters = Counters.Now(watch);
        var sortedSend = fromSend.Sorted();
        return (endCounters.ToResult(start, s.Name, $"@{rate / 1000:F1}k/s", sortedSend.Length, errors, seconds, sortedSend),
            endCounters.ToResult(start, s.Name, $"@{rate / 1000:F1}k/s*", sortedSend.Length, errors, seconds, fromIntended.Sorted()));
    }

    /// <summary>
    /// Open loop: a dedicated dispatcher thread wakes every ~1 ms and sends the requests that are due (at most 1,024 in
    /// flight). Sensitive to the dispatcher being descheduled on a loaded machine.
    /// </summary>
    public static async Task<(Result FromSend, Result FromIntended)> OpenLoopAsync(Scenario s, double rate, TimeSpan duration, ProcessWatch watch)
    {
        var fromSend = new Recorder(1);
        var fromIntended = new Recorder(1);
        var gate = new object();
        long errors = 0;
        long inFlight = 0;
        long dropped = 0;
        var start = Counters.Now(watch);
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
        var endCounters = Counters.Now(watch);
        if (dropped > 0) Console.Error.WriteLine($"open-loop pass: {dropped} requests not sent (1,024 already in flight)");
        var sortedSend = fromSend.Sorted();
        return (endCounters.ToResult(start, s.Name, $"open {rate / 1000:F1}k", sortedSend.Length, errors + dropped, seconds, sortedSend),
            endCounters.ToResult(start, s.Name, $"open {rate / 1000:F1}k*", sortedSend.Length, errors + dropped, seconds, fromIntended.Sorted()));
    }
}

internal static class Preload
{
    /// <summary>The old runs' ASO: a 5-line counter whose onGet changes state (persisted per replica).</summary>
    public const string CounterAso = """
        aso.count = 0
        function aso:onGet(caller)
          self.count = self.count + 1
          return self.count
        end
        """;

    /// <summary>Diagnostics: an onGet that changes no state (no re-encode, no state write).</summary>
    public const string ReadOnlyAso = """
        aso.count = 0
        function aso:onGet(caller)
          return self.count + 1
        end
        """;

    /// <summary>The keys bench/rest/*.lua read and write: PREFIX-v1-i (N=1), PREFIX-v3-i (N=3), PREFIX-a1-i / PREFIX-a3-i counter ASOs.</summary>
    public static async Task RestKeysAsync(CometClient client, LoadOptions options, string prefix)
    {
        var value = new byte[options.ValueBytes];
        Random.Shared.NextBytes(value);
        var put1 = new PutOptions { Namespace = options.Namespace, N = 1, W = 1 };
        var put3 = new PutOptions { Namespace = options.Namespace, N = 3, W = 2 };
        var sw = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, options.Keys), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, ct) =>
        {
            await client.PutAsync($"{prefix}-v1-{i}", value, put1, ct);
            await client.PutAsync($"{prefix}-v3-{i}", value, put3, ct);
            await client.PutAsoAsync($"{prefix}-a1-{i}", CounterAso, put1, ct);
            await client.PutAsoAsync($"{prefix}-a3-{i}", CounterAso, put3, ct);
        });
        Console.WriteLine($"preloaded {4 * options.Keys} REST keys under '{prefix}' in namespace '{options.Namespace}' in {sw.Elapsed.TotalSeconds:F1} s");
    }
}
