using System.Diagnostics;
using Comet.Abstractions.Errors;

namespace Comet.Cli.Bench;

/// <summary>
/// One phase of <c>comet bench</c>: a fixed number of operations run by a fixed number of concurrent workers, each
/// operation timed. Failed operations are counted by error code; the phase stops early after <c>maxErrors</c>.
/// </summary>
internal sealed class BenchPhase
{
    private readonly long[] _ticks;
    private readonly Dictionary<CometErrorCode, int> _errorsByCode = [];
    private int _next;
    private int _completed;
    private int _errors;

    public BenchPhase(string name, int operations)
    {
        Name = name;
        _ticks = new long[operations];
    }

    public string Name { get; }

    public int Operations => _ticks.Length;

    /// <summary>Operations finished so far, failed ones included (read by the progress display).</summary>
    public int Completed => Volatile.Read(ref _completed);

    public int Errors => Volatile.Read(ref _errors);

    public TimeSpan Elapsed { get; private set; }

    /// <summary>The first failure, to report its code and message.</summary>
    public CometException? FirstError { get; private set; }

    public IReadOnlyDictionary<CometErrorCode, int> ErrorsByCode
    {
        get
        {
            lock (_errorsByCode) return new Dictionary<CometErrorCode, int>(_errorsByCode);
        }
    }

    public async Task RunAsync(int concurrency, Func<int, CancellationToken, ValueTask> operation, int maxErrors, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var workers = new Task[Math.Max(1, Math.Min(concurrency, Operations))];
        for (var w = 0; w < workers.Length; w++) workers[w] = Task.Run(() => WorkAsync(operation, maxErrors, cancellationToken), cancellationToken);
        try
        {
            await Task.WhenAll(workers).ConfigureAwait(false);
        }
        finally
        {
            Elapsed = Stopwatch.GetElapsedTime(start);
        }
    }

    private async Task WorkAsync(Func<int, CancellationToken, ValueTask> operation, int maxErrors, CancellationToken cancellationToken)
    {
        while (Volatile.Read(ref _errors) < maxErrors)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var i = Interlocked.Increment(ref _next) - 1;
            if (i >= _ticks.Length) return;
            var started = Stopwatch.GetTimestamp();
            try
            {
                await operation(i, cancellationToken).ConfigureAwait(false);
                _ticks[i] = Math.Max(1, Stopwatch.GetTimestamp() - started);
            }
            catch (CometException ex)
            {
                Interlocked.Increment(ref _errors);
                lock (_errorsByCode)
                {
                    FirstError ??= ex;
                    _errorsByCode[ex.Code] = _errorsByCode.GetValueOrDefault(ex.Code) + 1;
                }
            }
            Interlocked.Increment(ref _completed);
        }
    }

    /// <summary>Throughput and latency percentiles of the operations that succeeded.</summary>
    public BenchResult Result()
    {
        var succeeded = _ticks.Where(t => t > 0).Order().ToArray();
        double Milliseconds(double quantile) => succeeded.Length == 0
            ? 0
            : succeeded[Math.Min(succeeded.Length - 1, (int)Math.Ceiling(quantile * succeeded.Length) - 1)] * 1000.0 / Stopwatch.Frequency;
        var seconds = Elapsed.TotalSeconds;
        return new BenchResult(Name, Completed, Errors, seconds, seconds > 0 ? succeeded.Length / seconds : 0,
            Milliseconds(0.50), Milliseconds(0.99), Milliseconds(1.0));
    }
}

/// <summary>What one phase measured: latencies in milliseconds over the operations that succeeded.</summary>
internal sealed record BenchResult(string Phase, int Operations, int Errors, double Seconds, double OpsPerSecond, double P50Ms, double P99Ms, double MaxMs);
