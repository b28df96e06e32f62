namespace Comet.Storage.Sqlite;

/// <summary>A checkpoint request; the writer runs it between transactions.</summary>
internal sealed class PendingCheckpoint(bool scheduled, CancellationToken cancellation)
    : PendingWrite<SqliteCheckpointResult>(cancellation)
{
    /// <summary>A periodic checkpoint waits only <see cref="SqliteStorageOptions.CheckpointWaitTimeout"/>; a requested one waits BusyTimeout.</summary>
    public bool Scheduled { get; } = scheduled;

    public override int RowCount => 0;

    public override void Apply(SqliteWriteContext context) => throw new InvalidOperationException("A checkpoint runs outside transactions.");

    public void Finish(SqliteCheckpointResult result)
    {
        Succeed(result);
        Complete();
    }
}
