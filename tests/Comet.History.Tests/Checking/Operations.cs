namespace Comet.History.Tests.Checking;

/// <summary>
/// What an answer says about whether an operation took effect. Only a refusal (a 4xx, a connection refused) proves that
/// a write was never applied; a 5xx, a timeout or a lost connection leaves it open (it may have reached a replica).
/// </summary>
public enum Outcome
{
    /// <summary>Acknowledged (2xx; a read's 200, 300 or 404).</summary>
    Ok,

    /// <summary>Refused: the grid did nothing (4xx, or the connection was refused).</summary>
    Failed,

    /// <summary>No verdict: 5xx, timeout, connection lost. A write may or may not have been applied.</summary>
    Indeterminate,
}

/// <summary>
/// One GET as a client saw it: when it was sent and answered (on the run's clock), through what (REST silo or SDK), the
/// answer's status (0: no answer), every value it returned (one, several siblings, none for a 404) and its causal
/// context (null when the answer carried none).
/// </summary>
public sealed record ReadOp(
    int Id, string Client, string Key, string Via, TimeSpan Start, TimeSpan End,
    int Status, Outcome Outcome, IReadOnlyList<string> Values, string? Context, string Cause);

/// <summary>
/// One PUT as a client saw it. <see cref="ReadId"/> is the read whose context it sent (<see cref="Context"/>); a put
/// without a context is a blind write: the grid lets it replace whatever its coordinating replica holds, so what it
/// supersedes is unknown to the checker. Values are unique in a history: the value names the write.
/// </summary>
public sealed record WriteOp(
    int Id, string Client, string Key, string Via, TimeSpan Start, TimeSpan End,
    string Value, int? ReadId, string? Context, int Status, Outcome Outcome, string Cause)
{
    public bool Blind => Context is null;
}

/// <summary>One silo's read of a key at the end of a run, after the faults healed, with R = N.</summary>
public sealed record FinalRead(string Key, string Silo, int Status, IReadOnlyList<string> Values, string Cause)
{
    public bool Answered => Status is 200 or 300 or 404;
}

/// <summary>Everything the clients did and saw, and the final reads: the checker's whole input.</summary>
public sealed class RecordedHistory
{
    private readonly List<ReadOp> _reads = [];
    private readonly List<WriteOp> _writes = [];
    private readonly List<FinalRead> _final = [];
    private readonly Lock _gate = new();

    public IReadOnlyList<ReadOp> Reads
    {
        get
        {
            lock (_gate) return [.. _reads];
        }
    }

    public IReadOnlyList<WriteOp> Writes
    {
        get
        {
            lock (_gate) return [.. _writes];
        }
    }

    public IReadOnlyList<FinalRead> Final
    {
        get
        {
            lock (_gate) return [.. _final];
        }
    }

    private int _nextId;

    /// <summary>A fresh operation id (ids order nothing; times do).</summary>
    public int NextId() => Interlocked.Increment(ref _nextId);

    public void Add(ReadOp read)
    {
        lock (_gate) _reads.Add(read);
    }

    public void Add(WriteOp write)
    {
        lock (_gate) _writes.Add(write);
    }

    public void Add(FinalRead read)
    {
        lock (_gate) _final.Add(read);
    }

    /// <summary>Forgets the final reads (a new pass while waiting for convergence replaces the last).</summary>
    public void ClearFinal()
    {
        lock (_gate) _final.Clear();
    }
}
