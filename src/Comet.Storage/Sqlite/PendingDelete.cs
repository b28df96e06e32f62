namespace Comet.Storage.Sqlite;

/// <summary>One DeleteAsync.</summary>
internal sealed class PendingDelete(SqliteRowAddress address, string? ifMatchETag, CancellationToken cancellation)
    : PendingWrite<bool>(cancellation)
{
    public override int RowCount => 1;

    public override void Apply(SqliteWriteContext context)
    {
        var outcome = TryDelete(context, address, ifMatchETag);
        if (outcome.Conflict is { } conflict)
            Conflict(conflict);
        else
            Succeed(outcome.Deleted);
    }

    /// <summary>Deletes one row: (true, null) if deleted, (false, null) if absent, or the conflict if its ETag differs.</summary>
    internal static (bool Deleted, StorageConflictException? Conflict) TryDelete(SqliteWriteContext context, in SqliteRowAddress row, string? ifMatchETag)
    {
        var commands = context.Commands;
        if (ifMatchETag is null)
            return (commands.Delete(row.TableId, row.Pk, row.Rk), null);
        if (ParseETag(ifMatchETag) is { } expected && commands.DeleteIfVersion(row.TableId, row.Pk, row.Rk, expected))
            return (true, null);
        return commands.Exists(row.TableId, row.Pk, row.Rk)
            ? (false, RequestChecks.ETagConflict(row.PartitionKey, row.RowKey, exists: true))
            : (false, null);
    }
}
