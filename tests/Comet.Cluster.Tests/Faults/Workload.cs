using System.Collections.Concurrent;
using System.Diagnostics;
using Comet.Cluster.Tests.Processes;

namespace Comet.Cluster.Tests.Faults;

/// <summary>A failed (not acknowledged) operation: when it was sent (<see cref="At"/>) and answered, on the workload's clock, through which silo, and why.</summary>
internal sealed record FailedOp(TimeSpan At, TimeSpan Answered, string Silo, string Key, string Why)
{
    public override string ToString() => $"t={At.TotalSeconds:0.00}s (+{(Answered - At).TotalMilliseconds:0} ms) {Silo} {Key}: {Why}";
}

/// <summary>
/// Writers and readers that run against the REST gateways of whichever silos <see cref="Targets"/> names at the time,
/// and the record a test checks afterwards: every acknowledged write (write-once keys, and the last acknowledged
/// value of each overwritten key) and every failed operation with its time.
/// </summary>
internal sealed class Workload(HttpClient http, Func<IReadOnlyList<string>> targets, string prefix)
{
    private long _writes;
    private long _reads;
    private long _staleReads;

    public Stopwatch Clock { get; } = Stopwatch.StartNew();

    public Func<IReadOnlyList<string>> Targets { get; } = targets;

    /// <summary>Write-once keys whose PUT was acknowledged, with the value.</summary>
    public ConcurrentDictionary<string, string> Acknowledged { get; } = new(StringComparer.Ordinal);

    /// <summary>Overwritten keys: the last acknowledged value of each.</summary>
    public ConcurrentDictionary<string, string> LastAcknowledged { get; } = new(StringComparer.Ordinal);

    /// <summary>When each acknowledged write was answered, on <see cref="Clock"/>.</summary>
    public ConcurrentQueue<TimeSpan> AcknowledgedAt { get; } = new();

    public ConcurrentQueue<FailedOp> FailedWrites { get; } = new();

    public ConcurrentQueue<FailedOp> FailedReads { get; } = new();

    /// <summary>Reads of an acknowledged key that answered without its value (404 or another value), while the workload ran.</summary>
    public ConcurrentQueue<FailedOp> StaleReads { get; } = new();

    public long Writes => Interlocked.Read(ref _writes);

    public long Reads => Interlocked.Read(ref _reads);

    public long StaleReadCount => Interlocked.Read(ref _staleReads);

    /// <summary>Writes keys <c>{prefix}-{writer}-{i}</c> once each, round-robin over the targets, until cancelled.</summary>
    public async Task WriteOnceAsync(int writer, CancellationToken stop)
    {
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            var silo = Pick(i + writer);
            if (silo is null)
            {
                await Pause(stop);
                continue;
            }
            var key = $"{prefix}-{writer}-{i}";
            var value = $"{key}@{Clock.ElapsedMilliseconds}";
            Interlocked.Increment(ref _writes);
            var sent = Clock.Elapsed;
            var put = await KeyValueRest.PutAsync(http, silo, key, value, w: 2, ct: CancellationToken.None);
            if (put.Acknowledged)
            {
                Acknowledged[key] = value;
                AcknowledgedAt.Enqueue(Clock.Elapsed);
            }
            else FailedWrites.Enqueue(new FailedOp(sent, Clock.Elapsed, silo, key, put.Failure));
        }
    }

    /// <summary>
    /// Overwrites <paramref name="keys"/> hot keys in turn, each put carrying the context of that key's last
    /// acknowledged put, so it supersedes it; a put that failed may still have reached a replica, which leaves siblings.
    /// </summary>
    public async Task OverwriteAsync(int keys, CancellationToken stop)
    {
        var contexts = new string?[keys];
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            var silo = Pick(i);
            if (silo is null)
            {
                await Pause(stop);
                continue;
            }
            var slot = i % keys;
            var key = $"{prefix}-hot-{slot}";
            var value = $"{key}#{i}";
            Interlocked.Increment(ref _writes);
            var sent = Clock.Elapsed;
            var put = await KeyValueRest.PutAsync(http, silo, key, value, w: 2, context: contexts[slot], ct: CancellationToken.None);
            if (put.Acknowledged)
            {
                LastAcknowledged[key] = value;
                contexts[slot] = put.Context;
                AcknowledgedAt.Enqueue(Clock.Elapsed);
            }
            else
            {
                FailedWrites.Enqueue(new FailedOp(sent, Clock.Elapsed, silo, key, put.Failure));
            }
        }
    }

    /// <summary>Reads random acknowledged write-once keys with R = <paramref name="r"/> until cancelled.</summary>
    public async Task ReadAsync(int r, CancellationToken stop)
    {
        var random = new Random(17);
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            var silo = Pick(i);
            var keys = Acknowledged.Keys.ToArray();
            if (silo is null || keys.Length == 0)
            {
                await Pause(stop);
                continue;
            }
            var key = keys[random.Next(keys.Length)];
            Interlocked.Increment(ref _reads);
            var sent = Clock.Elapsed;
            var get = await KeyValueRest.GetAsync(http, silo, key, r, CancellationToken.None);
            if (get.Status is 0 or >= 500)
            {
                FailedReads.Enqueue(new FailedOp(sent, Clock.Elapsed, silo, key, get.Failure));
            }
            else if (!get.Holds(Acknowledged[key]))
            {
                Interlocked.Increment(ref _staleReads);
                StaleReads.Enqueue(new FailedOp(sent, Clock.Elapsed, silo, key, get.Status == 404 ? "404" : $"{get.Status}: {string.Join(" | ", get.Values)}"));
            }
        }
    }

    private string? Pick(int i)
    {
        var now = Targets();
        return now.Count == 0 ? null : now[(int)((uint)i % (uint)now.Count)];
    }

    private static async Task Pause(CancellationToken stop)
    {
        try
        {
            await Task.Delay(50, stop);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Reads every acknowledged write back (R = <paramref name="r"/>) through the serving silos, 8 at a time. A key
    /// whose read fails with a 5xx or no answer is tried on the other silos before it counts; a key that answers
    /// without its value is lost. Returns one line per key that did not read back.
    /// </summary>
    public async Task<List<string>> CheckAllAsync(int r)
    {
        var problems = new ConcurrentBag<string>();
        using var gate = new SemaphoreSlim(8);
        var expected = Acknowledged.Select(p => (p.Key, p.Value)).Concat(LastAcknowledged.Select(p => (p.Key, p.Value))).ToList();
        var index = 0;
        await Task.WhenAll(expected.Select(async pair =>
        {
            await gate.WaitAsync();
            try
            {
                var silos = Targets();
                var start = Interlocked.Increment(ref index);
                GetOutcome? last = null;
                for (var attempt = 0; attempt < Math.Max(3, silos.Count); attempt++)
                {
                    last = await KeyValueRest.GetAsync(http, silos[(start + attempt) % silos.Count], pair.Key, r);
                    if (last.Holds(pair.Value) || last.Status is > 0 and < 500) break;
                }
                if (last is null || !last.Holds(pair.Value))
                    problems.Add($"{pair.Key}={pair.Value}: read {(last!.Status is 200 or 300 ? $"{last.Status} {string.Join(" | ", last.Values)}" : last.Failure)}");
            }
            finally
            {
                gate.Release();
            }
        }));
        return [.. problems.Order(StringComparer.Ordinal)];
    }

    /// <summary>Failures per second of the workload's clock, "t=3s: 2, t=4s: 1", for the test output.</summary>
    public static string Histogram(IEnumerable<FailedOp> failures) =>
        string.Join(", ", failures.GroupBy(f => (int)f.At.TotalSeconds).OrderBy(g => g.Key).Select(g => $"t={g.Key}s: {g.Count()}"));
}
