using System.Globalization;
using System.Threading.Tasks.Sources;

namespace Comet.Storage.Sqlite;

/// <summary>
/// A write waiting in the writer's queue. The writer applies it inside a group transaction
/// (<see cref="Apply"/> records its outcome), and only after COMMIT publishes that outcome
/// (<see cref="Complete"/>), so no caller hears "done" before its write is durable. Apply may run
/// again if the group is retried, so it starts from scratch each time.
/// </summary>
internal abstract class PendingWrite(CancellationToken cancellation)
{
    /// <summary>The caller's token: a write still queued when it is cancelled is dropped, not written.</summary>
    public CancellationToken Cancellation { get; } = cancellation;

    /// <summary>Rows this write touches, counted against <see cref="SqliteStorageOptions.WriteBatchMaxRows"/>.</summary>
    public abstract int RowCount { get; }

    /// <summary>Runs the write inside the open transaction and records its outcome (a conflict changes nothing).</summary>
    public abstract void Apply(SqliteWriteContext context);

    /// <summary>Publishes the recorded outcome; call only after the transaction committed.</summary>
    public abstract void Complete();

    /// <summary>Fails the write: it was not committed.</summary>
    public abstract void Fail(Exception error);
}

/// <summary>A <see cref="PendingWrite"/> whose caller awaits a <typeparamref name="TResult"/>.</summary>
internal abstract class PendingWrite<TResult>(CancellationToken cancellation) : PendingWrite(cancellation), IValueTaskSource<TResult>
{
    // One allocation per write (this object) serves as the awaited ValueTask's source.
    private ManualResetValueTaskSourceCore<TResult> completion = new() { RunContinuationsAsynchronously = true };
    private TResult? outcome;
    private Exception? conflict;

    public ValueTask<TResult> Task => new(this, completion.Version);

    protected void Succeed(TResult result)
    {
        outcome = result;
        conflict = null;
    }

    protected void Conflict(StorageConflictException error)
    {
        outcome = default;
        conflict = error;
    }

    public override void Complete()
    {
        if (conflict is not null)
            completion.SetException(conflict);
        else
            completion.SetResult(outcome!);
    }

    public override void Fail(Exception error) => completion.SetException(error);

    TResult IValueTaskSource<TResult>.GetResult(short token) => completion.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<TResult>.GetStatus(short token) => completion.GetStatus(token);

    void IValueTaskSource<TResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        completion.OnCompleted(continuation, state, token, flags);

    protected static string ToETag(long version) => version.ToString(CultureInfo.InvariantCulture);

    /// <summary>Our ETags are versions; anything else (another provider's ETag, garbage) matches no row.</summary>
    protected static long? ParseETag(string? etag) =>
        long.TryParse(etag, NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version : null;
}
