using System.Collections.Concurrent;
using System.Diagnostics;
using Comet.Abstractions.Errors;
using Comet.Sandbox.Tests.Support;

namespace Comet.Sandbox.Tests;

/// <summary>
/// Class 6 of the sandbox robustness issue: handlers stopped by every limit, on many threads at
/// once, while the garbage collector runs and abandoned objects are finalized, must each fail
/// with their own typed error and never take the process down (the old native crash,
/// "attempted to call a UnmanagedCallersOnly method from managed code" inside lua_resume).
/// </summary>
/// <remarks>
/// The run lasts <see cref="DefaultSeconds"/> seconds in the normal suite; set
/// <c>COMET_SANDBOX_STRESS_SECONDS</c> for longer runs (e.g. 600 before a release),
/// <c>COMET_SANDBOX_STRESS_KINDS</c> to run only the kinds whose name contains it, and
/// <c>COMET_SANDBOX_STRESS_WORKERS</c> for the number of concurrent workers. On the old code it
/// crashed the test host within seconds: the collector thread makes a collection pending at
/// the instant a guard callback returns, which the root cause needs.
/// </remarks>
[Collection(StressCollection.Name)]
public class LimitStressTests
{
    private const int DefaultSeconds = 45;

    /// <summary>One kind of handler call: the object's code, what the call sends, and how it must end.</summary>
    private sealed record Kind(string Name, string Code, CometErrorCode? Expected, Func<AsoRuntime> Runtime, bool Neighbours = false);

    private static readonly AsoRuntime TimeRuntime = Asos.Runtime(o =>
    {
        o.InstructionLimit = int.MaxValue;
        o.HandlerTimeout = TimeSpan.FromMilliseconds(5);
    });

    // The other limits under test must trip first, even when a saturated machine stretches the
    // wall-clock time of a call many times over.
    private static readonly AsoRuntime DefaultRuntime = Asos.Runtime(o => o.HandlerTimeout = TimeSpan.FromSeconds(30));

    private static readonly Kind[] Kinds =
    [
        new("time: endless loop", "function aso:onGet() while true do end end", CometErrorCode.TimeLimit, () => TimeRuntime),
        new("time: loop catching the error", """
            function aso:onGet()
              while true do pcall(function() while true do end end) end
            end
            """, CometErrorCode.TimeLimit, () => TimeRuntime),
        new("time: allocating loop", """
            function aso:onGet()
              local t = {}
              local i = 0
              while true do i = i + 1 t[i % 64 + 1] = { i, tostring(i) } end
            end
            """, CometErrorCode.TimeLimit, () => TimeRuntime),
        new("time: pattern matching", """
            function aso:onGet()
              local s = string.rep("a", 3000)
              while true do s:find(".-.-b") end
            end
            """, CometErrorCode.TimeLimit, () => TimeRuntime),
        new("time: after a neighbour call", """
            function aso:onGet()
              comet.get(comet.getASOKey(), { "n2" })
              while true do end
            end
            """, CometErrorCode.TimeLimit, () => TimeRuntime, Neighbours: true),
        new("instructions: endless loop", "function aso:onGet() while true do end end", CometErrorCode.InstructionLimit, () => DefaultRuntime),
        new("instructions: table.move", "function aso:onGet() table.move({}, 1, 1e8, 1, {}) end", CometErrorCode.InstructionLimit, () => DefaultRuntime),
        new("memory: string.rep", "function aso:onGet() return #string.rep('x', 1e8) end", CometErrorCode.MemoryLimit, () => DefaultRuntime),
        new("memory: growing table", """
            function aso:onGet()
              local t = {}
              for i = 1, 1e7 do t[i] = tostring(i) end
            end
            """, CometErrorCode.MemoryLimit, () => DefaultRuntime),
        new("memory: caught and retried", """
            function aso:onGet()
              for j = 1, 100 do pcall(string.rep, 'x', 1e6 + j) end
              local t = {} for i = 1, 1e7 do t[i] = i end
            end
            """, CometErrorCode.MemoryLimit, () => DefaultRuntime),
        new("error", "function aso:onGet() error('boom') end", CometErrorCode.HandlerError, () => DefaultRuntime),
        new("success", "aso.n = 0 function aso:onGet() self.n = self.n + 1 return self.n end", null, () => DefaultRuntime),
    ];

    [Fact]
    public async Task Handlers_stopped_by_every_limit_on_many_threads_fail_cleanly_and_never_crash()
    {
        int seconds = int.TryParse(Environment.GetEnvironmentVariable("COMET_SANDBOX_STRESS_SECONDS"), out int s) && s > 0 ? s : DefaultSeconds;
        string? only = Environment.GetEnvironmentVariable("COMET_SANDBOX_STRESS_KINDS");
        var kinds = only is null ? Kinds : Kinds.Where(k => k.Name.Contains(only, StringComparison.Ordinal)).ToArray();
        var deadline = Stopwatch.StartNew();
        var counts = new ConcurrentDictionary<string, int>();
        var slowest = new ConcurrentDictionary<string, double>();
        var wrong = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();

        // Collections while handlers run: a garbage collection that suspends a thread inside a
        // native callback is the "under load" half of the old crash.
        var collector = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect(0);
                Thread.Sleep(1);
                if (Random.Shared.Next(20) == 0)
                {
                    GC.Collect();
                }
            }
        }) { IsBackground = true, Name = "stress collector" };
        collector.Start();

        int workers = int.TryParse(Environment.GetEnvironmentVariable("COMET_SANDBOX_STRESS_WORKERS"), out int ww) && ww > 0 ? ww : Math.Max(8, Environment.ProcessorCount * 4);
        var tasks = new Task[workers];
        for (int w = 0; w < workers; w++)
        {
            int seed = w;
            tasks[w] = Task.Run(async () =>
            {
                var random = new Random(seed);
                var neighbours = new FakeNeighbours { Async = true };
                while (deadline.Elapsed < TimeSpan.FromSeconds(seconds))
                {
                    var kind = kinds[random.Next(kinds.Length)];
                    AsoObject obj;
                    try
                    {
                        obj = kind.Runtime().Load(Asos.Context(kind.Code), kind.Code, [], neighbours);
                    }
                    catch (AsoException e) when (e.Code == CometErrorCode.TimeLimit && kind.Runtime() == TimeRuntime)
                    {
                        // The chunk runs under the same 5 ms; on a saturated machine it may not get them.
                        counts.AddOrUpdate("load stopped by the time limit", 1, (_, n) => n + 1);
                        continue;
                    }
                    // Some objects serve several calls; some are abandoned to the finalizer.
                    int calls = 1 + random.Next(3);
                    for (int i = 0; i < calls; i++)
                    {
                        long start = Stopwatch.GetTimestamp();
                        string outcome = await Run(obj);
                        double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                        counts.AddOrUpdate(kind.Name, 1, (_, n) => n + 1);
                        slowest.AddOrUpdate(kind.Name, ms, (_, m) => Math.Max(m, ms));
                        if (outcome != (kind.Expected?.ToString() ?? "ok"))
                        {
                            wrong.Enqueue($"{kind.Name}: {outcome}");
                        }
                    }
                    if (random.Next(4) != 0)
                    {
                        obj.Dispose();
                    }
                }
            });
        }
        try
        {
            await Task.WhenAll(tasks);
        }
        finally
        {
            stop.Cancel();
            collector.Join();
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();

        foreach (var kind in Kinds)
        {
            Console.WriteLine($"{kind.Name}: {counts.GetValueOrDefault(kind.Name)} calls, slowest {slowest.GetValueOrDefault(kind.Name):0.#} ms");
        }
        Assert.True(wrong.IsEmpty, $"{wrong.Count} calls ended wrongly, e.g. {string.Join("; ", wrong.Take(5))}");
        foreach (var kind in kinds)
        {
            Assert.True(counts.GetValueOrDefault(kind.Name) >= 10, $"only {counts.GetValueOrDefault(kind.Name)} calls of '{kind.Name}' ran in {seconds} s");
        }
        Assert.True(counts.Values.Sum() >= 1000, $"only {counts.Values.Sum()} calls ran in {seconds} s");
        Assert.Equal(0, TimeRuntime.LeakedBytes + DefaultRuntime.LeakedBytes);
    }

    private static async Task<string> Run(AsoObject obj)
    {
        try
        {
            await obj.OnGetAsync(Asos.Client());
            return "ok";
        }
        catch (AsoException e)
        {
            return e.Code.ToString();
        }
    }
}

/// <summary>The stress test runs alone: it saturates every core, and parallel tests would only slow it down.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public class StressCollection
{
    public const string Name = "stress";
}
