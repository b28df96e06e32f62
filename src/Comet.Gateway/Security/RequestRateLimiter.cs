using System.Collections.Concurrent;

namespace Comet.Gateway.Security;

/// <summary>
/// Per-client and per-object token buckets (<see cref="RateLimitOptions"/>). Buckets are created on first use and
/// forgotten once full again (an idle bucket is the same as a new one), so memory follows the active set.
/// </summary>
public sealed class RequestRateLimiter
{
    private readonly RateLimitOptions _options;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, TokenBucket> _clients = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Ns, string Key), TokenBucket> _objects = new();
    private long _nextSweep;

    public RequestRateLimiter(RateLimitOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
    }

    /// <summary>Throws <see cref="RateLimitedException"/> when the client or the object is over its rate.</summary>
    public void Take(string client, string ns, string key)
    {
        var now = _time.GetTimestamp();
        if (_options.ClientRequestsPerSecond > 0)
        {
            var wait = Bucket(_clients, client, _options.ClientRequestsPerSecond, _options.ClientBurst, now).TryTake(now);
            if (wait > 0)
                throw new RateLimitedException($"This client is over its {_options.ClientRequestsPerSecond:0.##} requests per second at this silo", Ticks(wait));
        }
        if (_options.ObjectRequestsPerSecond > 0)
        {
            var wait = Bucket(_objects, (ns, key), _options.ObjectRequestsPerSecond, _options.ObjectBurst, now).TryTake(now);
            if (wait > 0)
                throw new RateLimitedException($"Key '{key}' of namespace '{ns}' is over its {_options.ObjectRequestsPerSecond:0.##} requests per second at this silo", Ticks(wait));
        }
    }

    /// <summary>Buckets held now (clients, objects).</summary>
    public (int Clients, int Objects) Count => (_clients.Count, _objects.Count);

    private TokenBucket Bucket<TKey>(ConcurrentDictionary<TKey, TokenBucket> buckets, TKey key, double rate, double burst, long now)
        where TKey : notnull
    {
        if (buckets.TryGetValue(key, out var bucket)) return bucket;
        if (buckets.Count >= _options.MaxBuckets) Sweep(now);
        return buckets.GetOrAdd(key, _ => new TokenBucket(rate, burst, now, _time.TimestampFrequency));
    }

    /// <summary>Drops full buckets, at most once a second (a flood of new ids does not sweep on every request).</summary>
    private void Sweep(long now)
    {
        var next = Volatile.Read(ref _nextSweep);
        if (now < next || Interlocked.CompareExchange(ref _nextSweep, now + _time.TimestampFrequency, next) != next) return;
        foreach (var (key, bucket) in _clients)
        {
            if (bucket.IsFull(now)) _clients.TryRemove(key, out _);
        }
        foreach (var (key, bucket) in _objects)
        {
            if (bucket.IsFull(now)) _objects.TryRemove(key, out _);
        }
    }

    private TimeSpan Ticks(long ticks) => TimeSpan.FromSeconds((double)ticks / _time.TimestampFrequency);
}
