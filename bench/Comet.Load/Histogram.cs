using System.Diagnostics;

namespace Comet.Load;

/// <summary>Latencies in Stopwatch ticks, one list per worker, merged and sorted at the end.</summary>
internal sealed class Recorder
{
    private readonly List<long>[] _perWorker;

    public Recorder(int workers)
    {
        _perWorker = new List<long>[workers];
        for (int i = 0; i < workers; i++) _perWorker[i] = new List<long>(1 << 16);
    }

    public void Record(int worker, long ticks) => _perWorker[worker].Add(ticks);

    public long[] Sorted()
    {
        var all = new long[_perWorker.Sum(l => l.Count)];
        int at = 0;
        foreach (var l in _perWorker)
        {
            l.CopyTo(all, at);
            at += l.Count;
        }
        Array.Sort(all);
        return all;
    }
}

internal readonly record struct LatencySummary(long Count, double P50Ms, double P99Ms, double P999Ms, double MaxMs)
{
    public static LatencySummary From(long[] sorted)
    {
        if (sorted.Length == 0) return new(0, double.NaN, double.NaN, double.NaN, double.NaN);
        double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        double At(double q) => Ms(sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)]);
        return new(sorted.Length, At(0.50), At(0.99), At(0.999), Ms(sorted[^1]));
    }
}
