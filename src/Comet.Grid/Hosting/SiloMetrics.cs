using System.Diagnostics;
using System.Diagnostics.Metrics;
using Comet.Abstractions.Errors;

namespace Comet.Grid.Hosting;

/// <summary>The client operations a silo's gateways serve, as counted by <see cref="OperationMetrics"/>.</summary>
public enum ClientOp
{
    Put = 0,
    Get = 1,
    Delete = 2,
    History = 3,
}

/// <summary>
/// The "CometGrains" <see cref="Meter"/>: what a silo does, for an OpenTelemetry collector or
/// <c>dotnet-counters</c>. Every measurement is tagged with the silo id, since one process may
/// host several silos (the dev local cluster, tests).
/// </summary>
public static class CometMeter
{
    public const string Name = "CometGrains";

    public static readonly Meter Meter = new(Name, "1.0");

    internal static readonly Counter<long> Operations =
        Meter.CreateCounter<long>("comet.operations", "{operation}", "Client operations received by this silo's gateways (REST and binary).");

    internal static readonly Histogram<double> OperationDuration =
        Meter.CreateHistogram<double>("comet.operation.duration", "s", "Time from receiving a client operation to its answer, failures included.");

    internal static readonly Counter<long> HandlerFailures =
        Meter.CreateCounter<long>("comet.handler.failures", "{failure}", "ASO handler calls on this silo's replicas that failed, by error code.");
}

/// <summary>
/// Throughput and latency of the client operations one silo serves: totals since start, and a
/// rolling window of one-second slots (ops and a log-scale latency histogram per op) from which
/// the admin API reads rates and percentiles. Recording is lock-free except once per slot per
/// second; a measurement racing with a slot's reset may be lost, which monitoring tolerates.
/// </summary>
public sealed class OperationMetrics
{
    /// <summary>Seconds the window keeps (a power of two, so a second maps to its slot with a mask).</summary>
    public const int WindowSeconds = 64;

    /// <summary>Histogram buckets per op: four per doubling of microseconds, from 1 µs to about 16 s.</summary>
    public const int BucketCount = 96;

    private const int BucketsPerDoubling = 4;
    private static readonly int OpCount = Enum.GetValues<ClientOp>().Length;
    private static readonly string[] OpNames = Enum.GetNames<ClientOp>().Select(n => n.ToLowerInvariant()).ToArray();

    private readonly string _silo;
    private readonly long[] _totals = new long[OpCount];
    private readonly Slot[] _slots = new Slot[WindowSeconds];

    public OperationMetrics(string silo)
    {
        _silo = silo;
        for (var i = 0; i < _slots.Length; i++) _slots[i] = new Slot();
    }

    /// <summary>The lower-case name of an op ("put", "get", …), as tags and JSON use it.</summary>
    public static string NameOf(ClientOp op) => OpNames[(int)op];

    /// <summary>Starts timing one operation; disposing the scope records it.</summary>
    public OperationScope Start(ClientOp op) => new(this, op, Stopwatch.GetTimestamp());

    public void Record(ClientOp op, TimeSpan elapsed)
    {
        var index = (int)op;
        Interlocked.Increment(ref _totals[index]);
        var slot = CurrentSlot(NowSecond());
        Interlocked.Increment(ref slot.Counts[index]);
        Interlocked.Increment(ref slot.Buckets[index * BucketCount + BucketOf(elapsed)]);
        var opTag = new KeyValuePair<string, object?>("op", OpNames[index]);
        var siloTag = new KeyValuePair<string, object?>("silo", _silo);
        CometMeter.Operations.Add(1, opTag, siloTag);
        CometMeter.OperationDuration.Record(elapsed.TotalSeconds, opTag, siloTag);
    }

    /// <summary>Operations of <paramref name="op"/> served since the silo started.</summary>
    public long Total(ClientOp op) => Interlocked.Read(ref _totals[(int)op]);

    /// <summary>
    /// The last <paramref name="seconds"/> complete seconds, oldest first: per second, the count
    /// of each op and the latency histogram of all ops together.
    /// </summary>
    public IReadOnlyList<SecondSample> Recent(int seconds)
    {
        seconds = Math.Clamp(seconds, 1, WindowSeconds - 1);
        var now = NowSecond();
        var result = new List<SecondSample>(seconds);
        for (var s = now - seconds; s < now; s++)
        {
            var slot = _slots[s & (WindowSeconds - 1)];
            var counts = new long[OpCount];
            var buckets = new long[OpCount * BucketCount];
            if (Volatile.Read(ref slot.Second) == s)
            {
                for (var i = 0; i < counts.Length; i++) counts[i] = Interlocked.Read(ref slot.Counts[i]);
                for (var i = 0; i < buckets.Length; i++) buckets[i] = Interlocked.Read(ref slot.Buckets[i]);
            }
            result.Add(new SecondSample(s, counts, buckets));
        }
        return result;
    }

    /// <summary>The latency at quantile <paramref name="q"/> of a histogram (the upper edge of the bucket it falls in), or null without samples.</summary>
    public static TimeSpan? Quantile(ReadOnlySpan<long> buckets, double q)
    {
        long total = 0;
        foreach (var b in buckets) total += b;
        if (total == 0) return null;
        var rank = (long)Math.Ceiling(q * total);
        long seen = 0;
        for (var i = 0; i < buckets.Length; i++)
        {
            seen += buckets[i];
            if (seen >= Math.Max(rank, 1)) return UpperEdge(i);
        }
        return UpperEdge(buckets.Length - 1);
    }

    /// <summary>The upper edge of bucket <paramref name="bucket"/>: 2^((bucket+1)/4) µs.</summary>
    public static TimeSpan UpperEdge(int bucket) => TimeSpan.FromMicroseconds(Math.Pow(2, (bucket + 1) / (double)BucketsPerDoubling));

    internal static int BucketOf(TimeSpan elapsed)
    {
        var micros = elapsed.TotalMicroseconds;
        if (micros <= 1) return 0;
        return Math.Min(BucketCount - 1, (int)(Math.Log2(micros) * BucketsPerDoubling));
    }

    private static long NowSecond() => Stopwatch.GetTimestamp() / Stopwatch.Frequency;

    private Slot CurrentSlot(long second)
    {
        var slot = _slots[second & (WindowSeconds - 1)];
        if (Volatile.Read(ref slot.Second) == second) return slot;
        lock (slot)
        {
            if (slot.Second != second)
            {
                Array.Clear(slot.Counts);
                Array.Clear(slot.Buckets);
                Volatile.Write(ref slot.Second, second);
            }
        }
        return slot;
    }

    private sealed class Slot
    {
        public long Second = -1;
        public readonly long[] Counts = new long[OpCount];
        public readonly long[] Buckets = new long[OpCount * BucketCount];
    }

    /// <summary>Times one operation from its start to <see cref="Dispose"/>.</summary>
    public readonly struct OperationScope : IDisposable
    {
        private readonly OperationMetrics? _metrics;
        private readonly ClientOp _op;
        private readonly long _started;

        internal OperationScope(OperationMetrics metrics, ClientOp op, long started)
        {
            _metrics = metrics;
            _op = op;
            _started = started;
        }

        public void Dispose() => _metrics?.Record(_op, Stopwatch.GetElapsedTime(_started));
    }
}

/// <summary>One second of <see cref="OperationMetrics"/>: ops by <see cref="ClientOp"/>, and histogram buckets (op-major).</summary>
public sealed record SecondSample(long Second, long[] Counts, long[] Buckets)
{
    public long Count(ClientOp op) => Counts[(int)op];

    public ReadOnlySpan<long> BucketsOf(ClientOp op) => Buckets.AsSpan((int)op * OperationMetrics.BucketCount, OperationMetrics.BucketCount);
}

/// <summary>
/// Failed ASO handler calls on one silo's replicas, by error code: the failures the sandbox
/// reports (a rejection, a Lua error, a limit), counted where the handler ran.
/// </summary>
public sealed class HandlerFailureMetrics
{
    private readonly string _silo;
    private readonly long[] _byCode = new long[Enum.GetValues<CometErrorCode>().Max(c => (int)c) + 1];

    public HandlerFailureMetrics(string silo) => _silo = silo;

    /// <summary>Whether <paramref name="code"/> is the failure of a handler (or of loading its code), not of the grid.</summary>
    public static bool IsHandlerFailure(CometErrorCode code) => code is CometErrorCode.Rejected or CometErrorCode.HandlerError
        or CometErrorCode.InstructionLimit or CometErrorCode.MemoryLimit or CometErrorCode.TimeLimit or CometErrorCode.RateLimited
        or CometErrorCode.BadCode;

    /// <summary>Counts <paramref name="code"/> when it is a handler failure; always false, so it can sit in an exception filter.</summary>
    public bool Observe(CometErrorCode code)
    {
        if (!IsHandlerFailure(code) || (int)code >= _byCode.Length) return false;
        Interlocked.Increment(ref _byCode[(int)code]);
        CometMeter.HandlerFailures.Add(1, new KeyValuePair<string, object?>("code", code.ToString()), new KeyValuePair<string, object?>("silo", _silo));
        return false;
    }

    /// <summary>Failures since the silo started, by code (only codes that occurred).</summary>
    public IReadOnlyDictionary<CometErrorCode, long> Snapshot()
    {
        var result = new Dictionary<CometErrorCode, long>();
        for (var i = 0; i < _byCode.Length; i++)
        {
            var n = Interlocked.Read(ref _byCode[i]);
            if (n > 0) result[(CometErrorCode)i] = n;
        }
        return result;
    }
}
