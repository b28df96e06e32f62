namespace Comet.Gateway.Security;

/// <summary>
/// OpenDHT's fair storage admission for one silo (<see cref="FairAdmissionOptions"/>). A put costs
/// <c>(key + value + overhead bytes) × lifetime seconds</c>. Time is cut into windows of budget
/// <c>B = BudgetPerSecond × Window</c>:
/// <list type="bullet">
/// <item>At a window's start, <c>B × (1 − ReserveFraction)</c> is shared max-min fairly (water-filling) between the
/// clients active in the previous window, by what each asked for then: nobody gets more than they asked, and what a
/// light client leaves is split among the heavy ones.</item>
/// <item>A client first seen in the window is promised <c>MinimumClientRate × Window</c> out of the reserve while
/// the reserve lasts (OpenDHT keeps capacity for new puts at a minimum rate).</item>
/// <item>A put within the client's promised share is always admitted. Above it, only out of capacity that is promised
/// to nobody (neither another client's share nor the reserve still free); otherwise it is refused with
/// RateLimited and the time until the window ends.</item>
/// </list>
/// Deterministic for a given sequence of puts within a window, so tests assert on counts, not on timing.
/// </summary>
public sealed class FairStorageAdmission
{
    private readonly FairAdmissionOptions _options;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, ClientUsage> _clients = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly double _budget;
    private readonly double _newcomerShare;
    private long _windowStart;
    private double _reserveLeft;
    private double _promised; // Σ max(usage, share) over clients

    public FairStorageAdmission(FairAdmissionOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = time;
        _budget = options.BudgetPerSecond * options.Window.TotalSeconds;
        _newcomerShare = options.MinimumClientRate * options.Window.TotalSeconds;
        _windowStart = time.GetTimestamp();
        _reserveLeft = _budget * options.ReserveFraction;
    }

    /// <summary>Byte-seconds a window commits at most.</summary>
    public double WindowBudget => _budget;

    /// <summary>What a put of <paramref name="bytes"/> kept for <paramref name="ttlSeconds"/> (0: no expiry) costs.</summary>
    public double CostOf(long bytes, int? ttlSeconds)
    {
        var lifetime = ttlSeconds is > 0 ? ttlSeconds.Value : _options.DefaultLifetime.TotalSeconds;
        return (bytes + _options.OverheadBytes) * lifetime;
    }

    /// <summary>Admits a put of <paramref name="cost"/> byte-seconds by <paramref name="client"/>, or throws <see cref="RateLimitedException"/>.</summary>
    public void Admit(string client, double cost)
    {
        if (!_options.Enabled) return;
        TimeSpan retry;
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            Roll(now);
            var usage = Usage(client);
            usage.Demand += cost;
            var before = Math.Max(usage.Used, usage.Share);
            var after = Math.Max(usage.Used + cost, usage.Share);
            if (usage.Used + cost <= usage.Share || _promised + (after - before) + _reserveLeft <= _budget)
            {
                usage.Used += cost;
                _promised += after - before;
                return;
            }
            retry = _options.Window - _time.GetElapsedTime(_windowStart, now);
        }
        throw new RateLimitedException("This silo's storage is contended and this client is over its fair share of it", retry);
    }

    /// <summary>A client's standing in the current window (tests, admin).</summary>
    public (double Share, double Used, double Demand) Standing(string client)
    {
        lock (_lock)
        {
            Roll(_time.GetTimestamp());
            return _clients.TryGetValue(client, out var u) ? (u.Share, u.Used, u.Demand) : (0, 0, 0);
        }
    }

    private ClientUsage Usage(string client)
    {
        if (_clients.TryGetValue(client, out var usage)) return usage;
        // Past the cap, new clients share one account: they still get what is promised to nobody.
        if (_clients.Count >= _options.MaxClients && _clients.TryGetValue(OverflowClient, out usage)) return usage;
        usage = new ClientUsage { Share = Math.Min(_newcomerShare, _reserveLeft) };
        _reserveLeft -= usage.Share;
        _promised += usage.Share;
        _clients[_clients.Count >= _options.MaxClients ? OverflowClient : client] = usage;
        return usage;
    }

    private const string OverflowClient = "\0overflow";

    /// <summary>Starts a new window when the current one is over: recomputes the shares from the last window's demands.</summary>
    private void Roll(long now)
    {
        var elapsed = _time.GetElapsedTime(_windowStart, now);
        if (elapsed < _options.Window) return;
        var windows = (long)(elapsed.Ticks / _options.Window.Ticks);
        _windowStart += (long)(windows * _options.Window.TotalSeconds * _time.TimestampFrequency);
        var returning = new List<KeyValuePair<string, ClientUsage>>();
        foreach (var entry in _clients)
        {
            // Demands older than the last window say nothing about now: those clients count as new.
            if (windows == 1 && entry.Value.Demand > 0) returning.Add(entry);
        }
        _clients.Clear();
        _reserveLeft = _budget * _options.ReserveFraction;
        _promised = 0;
        if (returning.Count == 0) return;

        // Max-min fair shares (water-filling): smallest demands are served in full, the rest split what is left.
        // Every returning client is taken to want at least the newcomers' minimum, so a light client whose rate
        // wobbles up a little is still within its share next window.
        returning.Sort(static (a, b) => a.Value.Demand.CompareTo(b.Value.Demand));
        var capacity = _budget - _reserveLeft;
        var left = returning.Count;
        foreach (var (client, last) in returning)
        {
            var share = Math.Min(Math.Max(last.Demand, _newcomerShare), capacity / left);
            capacity -= share;
            left--;
            _clients[client] = new ClientUsage { Share = share };
            _promised += share;
        }
    }

    private sealed class ClientUsage
    {
        public double Share;
        public double Used;
        public double Demand;
    }
}
