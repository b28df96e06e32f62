namespace Comet.Storage.Sqlite;

/// <summary>One BatchAsync: all operations inside a savepoint, rolled back together if one fails.</summary>
internal sealed class PendingBatch(long tableId, string partitionKey, IReadOnlyList<RowOperation> operations, CancellationToken cancellation)
    : PendingWrite<IReadOnlyList<string?>>(cancellation)
{
    // Encoded on the caller's thread: the single writer is the bottleneck, so it only runs SQL.
    private readonly PreparedOperation[] prepared = Prepare(tableId, partitionKey, operations);

    public override int RowCount => prepared.Length;

    public override void Apply(SqliteWriteContext context)
    {
        var commands = context.Commands;
        var etags = new string?[prepared.Length];
        commands.Savepoint();
        for (var i = 0; i < prepared.Length; i++)
        {
            var op = prepared[i];
            StorageConflictException? conflict;
            if (op.Data is { } data)
            {
                conflict = PendingRowWrite.TryWrite(context, op.Address, data, op.Condition, out var etag);
                etags[i] = etag;
            }
            else
            {
                var (deleted, etagConflict) = PendingDelete.TryDelete(context, op.Address, op.Condition.ETag);
                conflict = etagConflict ?? (deleted ? null : RequestChecks.BatchDeleteMissing(op.Address.PartitionKey, op.Address.RowKey));
            }
            if (conflict is not null)
            {
                commands.RollbackToSavepoint();
                Conflict(RequestChecks.BatchConflict(i, conflict));
                return;
            }
        }
        commands.ReleaseSavepoint();
        Succeed(etags);
    }

    private static PreparedOperation[] Prepare(long tableId, string partitionKey, IReadOnlyList<RowOperation> operations)
    {
        var pk = SqliteKeys.Encode(partitionKey);
        var prepared = new PreparedOperation[operations.Count];
        for (var i = 0; i < prepared.Length; i++)
        {
            var op = operations[i];
            var address = new SqliteRowAddress(tableId, partitionKey, op.RowKey, pk, SqliteKeys.Encode(op.RowKey));
            prepared[i] = op.Row is { } row
                ? new PreparedOperation(address, SqliteTable.DataArray(row.Data), op.Condition)
                : new PreparedOperation(address, null, op.IfMatchETag is null ? default : WriteCondition.IfMatch(op.IfMatchETag));
        }
        return prepared;
    }

    /// <summary>A write (Data set) or a delete (Data null; Condition carries its If-Match ETag).</summary>
    private readonly record struct PreparedOperation(SqliteRowAddress Address, byte[]? Data, WriteCondition Condition);
}
