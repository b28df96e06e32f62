using System.Diagnostics;
using Comet.Abstractions.Errors;

namespace Comet.Gateway.Metrics;

/// <summary>
/// Throughput, latency and errors of the client operations one silo serves: totals since start,
/// and a rolling window of one-second slots (ops and a log-scale latency histogram per op) from
/// which the admin API reads rates and percentiles. Recording is lock-free except once per slot
/// per second; a measurement racing with a slot's reset may be lost, which monitoring tolerates.
/// The same measurements go to the "CometGrains" meter (<see cref="CometMeter"/>).
/// </summary>
public sealed class OperationMetrics
{
    /// <summary>Seconds the window keeps (a power of two, so a second maps to its slot with a mask).</summary>
    public const int WindowSeconds = 64;

    /// <summary>Histogram buckets per op: four per doubling of microseconds, from 1 µs to about 16 s.</summary>
    public const int BucketCount = 96;

    private const int BucketsPerDoubling = 4;
    private static readonly int OpCount = Enum.GetValues<ClientOp>().Length;
    private static readonly string[] OpNames = [.. Enum.GetNames<ClientOp>().Select(n => n.ToLowerInvariant())];
    private static readonly int CodeCount = Enum.GetValues<CometErrorCode>().Max(c => (int)c) + 1;

    private readonly KeyValuePair<string, object?> _siloTag;
    private readonly long[] _totals = new long[OpCount];
    private readonly long[] _errors = new long[CodeCount];
    private readonly Slot[] _slots = new Slot[WindowSeconds];

    public OperationMetrics(string silo)
    {
        Silo = silo;
        _siloTag = new KeyValuePair<string, object?>("silo", silo);
        for (var i = 0; i < _slots.Length; i++) _slots[i] = new Slot();
    }

    /// <summary>The silo these figures are for.</summary>
    public string Silo { get; }

    /// <summary>The lower-case name of an op ("put", "get", …), as tags and JSON use it.</summary>
    public static string NameOf(ClientOp op) => OpNames[(int)op];

    /// <summary>Whether <paramref name="code"/> is the failure of an object's handler or its sandbox, not of the grid or the request.</summary>
    public static bool IsHandlerFailure(CometErrorCode code) => code is CometErrorCode.Rejected or CometErrorCode.HandlerError
        or CometErrorCode.InstructionLimit or CometErrorCode.MemoryLimit or CometErrorCode.TimeLimit or CometErrorCode.BadCode;

    public void Record(ClientOp op, TimeSpan elapsed)
    {
        var index = (int)op;
        Interlocked.Increment(ref _totals[index]);
        var slot = CurrentSlot(NowSecond());
        Interlocked.Increment(ref slot.Counts[index]);
        Interlocked.Increment(ref slot.Buckets[index * BucketCount + BucketOf(elapsed)]);
        var opTag = new KeyValuePair<string, object?>("op", OpNames[index]);
        CometMeter.Operations.Add(1, opTag, _siloTag);
        CometMeter.OperationDuration.Record(elapsed.TotalSeconds, opTag, _siloTag);
    }

    /// <summary>Counts an operation answered with <paramref name="code"/>.</summary>
    public void RecordError(CometErrorCode code)
    {
        if ((uint)code >= (uint)_errors.Length) return;
        Interlocked.Increment(ref _errors[(int)code]);
        var codeTag = new KeyValuePair<string, object?>("code", code.ToString());
        CometMeter.Errors.Add(1, codeTag, _siloTag);
        if (IsHandlerFailure(code)) CometMeter.HandlerFailures.Add(1, codeTag, _siloTag);
    }

    /// <summary>Operations of <paramref name="op"/> served since the silo started.</summary>
    public long Total(ClientOp op) => Interlocked.Read(ref _totals[(int)op]);

    /// <summary>Error answers since the silo started, by code (only codes that occurred).</summary>
    public IReadOnlyDictionary<CometErrorCode, long> Errors()
    {
        var result = new Dictionary<CometErrorCode, long>();
        for (var i = 0; i < _errors.Length; i++)
        {
            var n = Interlocked.Read(ref _errors[i]);
            if (n > 0) result[(CometErrorCode)i] = n;
        }
        return result;
    }

    /// <summary>
    /// The last <paramref name="seconds"/> complete seconds, oldest first: per second, the count
    /// of each op and each op's latency histogram.
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
        var rank = Math.Max((long)Math.Ceiling(q * total), 1);
        long seen = 0;
        for (var i = 0; i < buckets.Length; i++)
        {
            seen += buckets[i];
            if (seen >= rank) return UpperEdge(i);
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
}

/// <summary>One second of <see cref="OperationMetrics"/>: ops by <see cref="ClientOp"/>, and histogram buckets (op-major).</summary>
public sealed record SecondSample(long Second, long[] Counts, long[] Buckets)
{
    public long Count(ClientOp op) => Counts[(int)op];

    public ReadOnlySpan<long> BucketsOf(ClientOp op) => Buckets.AsSpan((int)op * OperationMetrics.BucketCount, OperationMetrics.BucketCount);
}
