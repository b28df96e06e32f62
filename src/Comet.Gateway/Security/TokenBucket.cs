namespace Comet.Gateway.Security;

/// <summary>A token bucket: <c>rate</c> tokens a second up to <c>burst</c>; each request takes one.</summary>
internal sealed class TokenBucket
{
    private readonly double _ratePerTick;
    private readonly double _burst;
    private readonly Lock _lock = new();
    private double _tokens;
    private long _updated;

    public TokenBucket(double perSecond, double burst, long now, long ticksPerSecond)
    {
        _ratePerTick = perSecond / ticksPerSecond;
        _burst = burst;
        _tokens = burst;
        _updated = now;
    }

    /// <summary>Takes a token; returns 0 when there was one, else the ticks until one is back.</summary>
    public long TryTake(long now)
    {
        lock (_lock)
        {
            Refill(now);
            if (_tokens >= 1)
            {
                _tokens -= 1;
                return 0;
            }
            return Math.Max(1, (long)Math.Ceiling((1 - _tokens) / _ratePerTick));
        }
    }

    /// <summary>Whether the bucket has refilled completely (idle long enough to forget).</summary>
    public bool IsFull(long now)
    {
        lock (_lock)
        {
            Refill(now);
            return _tokens >= _burst;
        }
    }

    private void Refill(long now)
    {
        if (now > _updated)
        {
            _tokens = Math.Min(_burst, _tokens + (now - _updated) * _ratePerTick);
            _updated = now;
        }
    }
}
