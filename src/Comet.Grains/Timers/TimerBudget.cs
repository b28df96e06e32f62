using System.Diagnostics;

namespace Comet.Grains.Timers;

/// <summary>Limits of the per-silo <c>onTimer</c> budget (SANDBOX.md H5).</summary>
public sealed class TimerBudgetOptions
{
    /// <summary>Share of the silo's cores that <c>onTimer</c> handlers may use together, averaged over <see cref="Window"/>.</summary>
    public double CpuShare { get; set; } = 0.1;

    /// <summary><c>onTimer</c> calls that may run at the same moment on one silo.</summary>
    public int MaxConcurrent { get; set; } = Math.Max(1, Environment.ProcessorCount / 4);

    /// <summary>The averaging window of the CPU share.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The first back-off of an object whose <c>onTimer</c> failed or hit a limit; it doubles with each failure in a row.</summary>
    public TimeSpan FirstBackOff { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest back-off.</summary>
    public TimeSpan MaxBackOff { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        if (!(CpuShare > 0 && CpuShare <= 1)) throw new ArgumentOutOfRangeException(nameof(CpuShare), CpuShare, "CpuShare must be in (0, 1].");
        if (MaxConcurrent < 1) throw new ArgumentOutOfRangeException(nameof(MaxConcurrent), MaxConcurrent, "MaxConcurrent must be at least 1.");
        if (Window <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(Window), Window, "Window must be positive.");
        if (FirstBackOff < TimeSpan.Zero || MaxBackOff < FirstBackOff) throw new ArgumentOutOfRangeException(nameof(MaxBackOff), MaxBackOff, "MaxBackOff must be at least FirstBackOff, which must not be negative.");
    }
}

/// <summary>
/// The silo's budget for <c>onTimer</c> handlers: a dozen objects whose timers use their full
/// time limit every second must not starve the silo's other keys (issue 12, class 5). A timer
/// call runs only when (1) fewer than <see cref="TimerBudgetOptions.MaxConcurrent"/> run now,
/// (2) the object is not backing off after failures or limits, and (3) the silo's timers are
/// under their CPU share, or, when they are over it, the call's namespace and object have used
/// less than their fair share of it (the share divided between the namespaces, then the objects,
/// that ran timers in the window). A refused call is skipped; the object's timer fires again at
/// its next period. Thread-safe; one per silo.
/// </summary>
public sealed class TimerBudget
{
    private readonly TimerBudgetOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Usage> _namespaces = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Usage> _objects = new(StringComparer.Ordinal);
    private readonly Dictionary<string, BackOff> _backOffs = new(StringComparer.Ordinal);
    private Usage _total;
    private int _running;
    private long _refused;
    private long _started;

    public TimerBudget(TimerBudgetOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _time = time;
    }

    /// <summary>Timer calls refused so far (budget, concurrency or back-off).</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Timer calls let through so far.</summary>
    public long Started => Interlocked.Read(ref _started);

    /// <summary>CPU-seconds per second the silo's timers may use.</summary>
    private double Capacity => _options.CpuShare * Environment.ProcessorCount;

    /// <summary>Asks to run one object's <c>onTimer</c>; on true, call <see cref="Finish"/> after it.</summary>
    public bool TryStart(string ns, string objectId)
    {
        long now = _time.GetTimestamp();
        lock (_lock)
        {
            if (_running >= _options.MaxConcurrent
                || (_backOffs.TryGetValue(objectId, out var b) && now < b.Until)
                || !WithinShare(ns, objectId, now))
            {
                _refused++;
                return false;
            }
            _running++;
            _started++;
            return true;
        }
    }

    /// <summary>Charges a finished call's time; a failed or limit-stopped call backs the object off, a clean one clears it.</summary>
    public void Finish(string ns, string objectId, TimeSpan used, bool failed)
    {
        long now = _time.GetTimestamp();
        double seconds = Math.Max(0, used.TotalSeconds);
        lock (_lock)
        {
            _running--;
            _total.Add(seconds, now, Decay);
            Of(_namespaces, ns).Add(seconds, now, Decay);
            Of(_objects, objectId).Add(seconds, now, Decay);
            if (failed)
            {
                var previous = _backOffs.GetValueOrDefault(objectId);
                var wait = previous.Failures == 0 ? _options.FirstBackOff : TimeSpan.FromTicks(Math.Min(_options.MaxBackOff.Ticks, previous.Wait.Ticks * 2));
                _backOffs[objectId] = new BackOff(previous.Failures + 1, wait, now + (long)(wait.TotalSeconds * _time.TimestampFrequency));
            }
            else
            {
                _backOffs.Remove(objectId);
            }
            Prune(now);
        }
    }

    private double Decay(long elapsedTicks) => Math.Exp(-(elapsedTicks / (double)_time.TimestampFrequency) / _options.Window.TotalSeconds);

    /// <summary>The rate (CPU-seconds per second) of an exponentially decaying usage.</summary>
    private double Rate(ref Usage usage, long now) => usage.At(now, Decay) / _options.Window.TotalSeconds;

    private bool WithinShare(string ns, string objectId, long now)
    {
        double capacity = Capacity;
        if (Rate(ref _total, now) < capacity)
        {
            return true;
        }
        // Over the silo's share: only namespaces and objects below their fair part of it run.
        int namespaces = Math.Max(1, CountActive(_namespaces, now));
        double nsShare = capacity / namespaces;
        if (_namespaces.TryGetValue(ns, out var nsUsage) && Rate(ref nsUsage, now) >= nsShare)
        {
            return false;
        }
        int objects = Math.Max(1, CountActive(_objects, now));
        return !(_objects.TryGetValue(objectId, out var objUsage) && Rate(ref objUsage, now) >= capacity / objects);
    }

    private int CountActive(Dictionary<string, Usage> usages, long now)
    {
        int n = 0;
        foreach (var (_, u) in usages)
        {
            var copy = u;
            if (copy.At(now, Decay) > 1e-4) n++;
        }
        return n;
    }

    private static ref Usage Of(Dictionary<string, Usage> usages, string key) =>
        ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(usages, key, out _);

    /// <summary>Forgets idle namespaces and objects (and lapsed back-offs) so the tables stay small.</summary>
    private void Prune(long now)
    {
        if (_objects.Count < 1024 && _backOffs.Count < 1024) return;
        foreach (var key in _objects.Where(kv => { var u = kv.Value; return u.At(now, Decay) < 1e-6; }).Select(kv => kv.Key).ToList()) _objects.Remove(key);
        foreach (var key in _namespaces.Where(kv => { var u = kv.Value; return u.At(now, Decay) < 1e-6; }).Select(kv => kv.Key).ToList()) _namespaces.Remove(key);
        foreach (var key in _backOffs.Where(kv => kv.Value.Until < now && kv.Value.Failures == 0).Select(kv => kv.Key).ToList()) _backOffs.Remove(key);
    }

    /// <summary>Seconds of timer time, decaying with the window.</summary>
    private struct Usage
    {
        private double _seconds;
        private long _at;

        public double At(long now, Func<long, double> decay) => _at == 0 ? 0 : _seconds * decay(Math.Max(0, now - _at));

        public void Add(double seconds, long now, Func<long, double> decay)
        {
            _seconds = At(now, decay) + seconds;
            _at = now;
        }
    }

    private readonly record struct BackOff(int Failures, TimeSpan Wait, long Until);
}
