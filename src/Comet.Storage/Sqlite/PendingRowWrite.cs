namespace Comet.Storage.Sqlite;

/// <summary>One WriteAsync.</summary>
internal sealed class PendingRowWrite(SqliteRowAddress address, byte[] data, WriteCondition condition, CancellationToken cancellation)
    : PendingWrite<string>(cancellation)
{
    public override int RowCount => 1;

    public override void Apply(SqliteWriteContext context)
    {
        if (TryWrite(context, address, data, condition, out var etag) is { } conflict)
            Conflict(conflict);
        else
            Succeed(etag);
    }

    /// <summary>Writes one row; returns the conflict if its condition fails (then nothing changed).</summary>
    internal static StorageConflictException? TryWrite(SqliteWriteContext context, in SqliteRowAddress row, byte[] data, WriteCondition condition, out string etag)
    {
        var commands = context.Commands;
        var version = context.NextVersion();
        etag = ToETag(version);
        switch (condition.Kind)
        {
            case WriteConditionKind.InsertOnly:
                return commands.Insert(row.TableId, row.Pk, row.Rk, version, context.Ticks, data)
                    ? null
                    : RequestChecks.InsertConflict(row.PartitionKey, row.RowKey);
            case WriteConditionKind.IfMatch:
                var expected = ParseETag(condition.ETag);
                if (expected is { } v && commands.Update(row.TableId, row.Pk, row.Rk, version, context.Ticks, data, v))
                    return null;
                return RequestChecks.ETagConflict(row.PartitionKey, row.RowKey, commands.Exists(row.TableId, row.Pk, row.Rk));
            default:
                commands.Upsert(row.TableId, row.Pk, row.Rk, version, context.Ticks, data);
                return null;
        }
    }
}
