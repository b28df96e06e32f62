using System.Diagnostics;

namespace Comet.Abstractions.Wire;

/// <summary>
/// The outgoing requests of one connection waiting for responses, by request id, plus a small pool of
/// <see cref="PendingRequest"/> objects. One lock guards both; it is held only for dictionary operations.
/// </summary>
internal sealed class PendingRequestTable
{
    private const int MaxPooled = 256;

    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, PendingRequest> _pending = [];
    private readonly Stack<PendingRequest> _pool = new();
    private ulong _nextId;
    private bool _closed;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Takes a request object with a fresh id; false when the table is closed.</summary>
    public PendingRequest Rent()
    {
        lock (_lock)
        {
            PendingRequest request = _pool.Count > 0 ? _pool.Pop() : new PendingRequest(this);
            request.Id = ++_nextId;
            return request;
        }
    }

    /// <summary>Adds a rented request; false when the table is already closed (the request was not added).</summary>
    public bool TryAdd(PendingRequest request)
    {
        lock (_lock)
        {
            if (_closed)
            {
                return false;
            }

            _pending.Add(request.Id, request);
            return true;
        }
    }

    /// <summary>Removes the request with this id, if it is the given object.</summary>
    public bool TryRemove(ulong id, PendingRequest request)
    {
        lock (_lock)
        {
            if (_pending.TryGetValue(id, out PendingRequest? found) && ReferenceEquals(found, request))
            {
                _pending.Remove(id);
                return true;
            }

            return false;
        }
    }

    /// <summary>Removes and returns the request with this id; null when none waits (late, cancelled or bogus).</summary>
    public PendingRequest? TryTake(ulong id)
    {
        lock (_lock)
        {
            return _pending.Remove(id, out PendingRequest? found) ? found : null;
        }
    }

    /// <summary>Removes and returns the requests whose deadline has passed.</summary>
    public List<PendingRequest>? TakeExpired(long now)
    {
        List<PendingRequest>? expired = null;
        lock (_lock)
        {
            foreach (PendingRequest request in _pending.Values)
            {
                if (request.Deadline <= now)
                {
                    (expired ??= []).Add(request);
                }
            }

            if (expired is not null)
            {
                foreach (PendingRequest request in expired)
                {
                    _pending.Remove(request.Id);
                }
            }
        }

        return expired;
    }

    /// <summary>Closes the table (no more adds) and returns everything that was waiting.</summary>
    public List<PendingRequest> Close()
    {
        lock (_lock)
        {
            _closed = true;
            var all = new List<PendingRequest>(_pending.Values);
            _pending.Clear();
            return all;
        }
    }

    public void Recycle(PendingRequest request)
    {
        lock (_lock)
        {
            if (_pool.Count < MaxPooled)
            {
                _pool.Push(request);
            }
        }
    }

    public static long DeadlineAfter(TimeSpan timeout)
        => timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
}
