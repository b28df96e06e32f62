using System.Threading.Tasks.Sources;

namespace Comet.Persistence.Sqlite;

/// <summary>What a queued write does to its row.</summary>
internal enum StateWriteKind
{
    /// <summary>Store the payload (insert when no ETag is expected, else replace the expected version).</summary>
    Write,

    /// <summary>Keep the row with no payload and a new version (the ETag still fences stale writers).</summary>
    Clear,

    /// <summary>Delete the row.</summary>
    Delete,
}

/// <summary>
/// The result of a write. Applied: <see cref="Version"/> is the row's new version (null once deleted).
/// Rejected (the ETag was stale): <see cref="Version"/> is the version stored (null: no row).
/// </summary>
internal readonly record struct StateWriteOutcome(bool Applied, long? Version);

/// <summary>
/// A write waiting in the writer's queue. The writer applies it inside a group transaction
/// (<see cref="Apply"/> records its outcome) and only after COMMIT publishes that outcome
/// (<see cref="Complete"/>), so no caller hears "done" before its write is durable. Apply may run
/// again if the group is retried, so it starts from scratch each time. The object is also the
/// awaited ValueTask's source: one allocation per write.
/// </summary>
internal sealed class PendingStateWrite(GrainStateKey key, StateWriteKind kind, long? expected, byte[]? payload) : IValueTaskSource<StateWriteOutcome>
{
    private ManualResetValueTaskSourceCore<StateWriteOutcome> completion = new() { RunContinuationsAsynchronously = true };
    private StateWriteOutcome outcome;

    public GrainStateKey Key => key;

    /// <summary>Bytes this write adds to its transaction.</summary>
    public int Bytes => payload?.Length ?? 0;

    public ValueTask<StateWriteOutcome> Task => new(this, completion.Version);

    /// <summary>Runs the write inside the open transaction and records its outcome; a conflict changes nothing.</summary>
    public void Apply(GrainStateWriteCommands commands, RowVersions versions, long ticks)
    {
        bool applied;
        long? version;
        if (kind == StateWriteKind.Write && expected is null)
        {
            version = versions.Next();
            applied = commands.Insert(key, version.Value, ticks, payload!);
        }
        else if (expected is not { } current)
        {
            // Clearing a state the grain never saw stored: fine if there is still nothing stored.
            version = null;
            applied = commands.ReadVersion(key) is null;
        }
        else if (kind == StateWriteKind.Delete)
        {
            version = null;
            applied = commands.DeleteIfVersion(key, current);
        }
        else
        {
            version = versions.Next();
            applied = commands.Update(key, version.Value, ticks, kind == StateWriteKind.Write ? payload : null, current);
        }
        outcome = applied ? new StateWriteOutcome(true, version) : new StateWriteOutcome(false, commands.ReadVersion(key));
    }

    /// <summary>Publishes the recorded outcome; call only after the transaction committed.</summary>
    public void Complete() => completion.SetResult(outcome);

    /// <summary>Fails the write: it was not committed.</summary>
    public void Fail(Exception error) => completion.SetException(error);

    StateWriteOutcome IValueTaskSource<StateWriteOutcome>.GetResult(short token) => completion.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<StateWriteOutcome>.GetStatus(short token) => completion.GetStatus(token);

    void IValueTaskSource<StateWriteOutcome>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        completion.OnCompleted(continuation, state, token, flags);
}
