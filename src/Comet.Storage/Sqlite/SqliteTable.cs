using System.Runtime.InteropServices;

namespace Comet.Storage.Sqlite;

/// <summary>
/// One logical table: its rows are the rows of <c>comet_rows</c> with its table_id. Reads run on
/// the caller's thread with a pooled read session; writes go through the provider's single writer.
/// </summary>
internal sealed class SqliteTable(SqliteStorageProvider provider, long id, string name) : IStorageTable
{
    public string Name { get; } = name;

    internal long Id { get; } = id;

    private StorageLimits Limits => provider.Limits;

    public ValueTask<StorageRow?> ReadAsync(string partitionKey, string rowKey, CancellationToken ct = default)
    {
        try
        {
            RequestChecks.CheckKey(partitionKey, "PartitionKey", Limits);
            RequestChecks.CheckKey(rowKey, "RowKey", Limits);
            ct.ThrowIfCancellationRequested();
            return ValueTask.FromResult(provider.Read((Id, partitionKey, rowKey), static (session, key) => session.Read(key.Id, key.partitionKey, key.rowKey)));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return ValueTask.FromException<StorageRow?>(ex);
        }
    }

    public ValueTask<string> WriteAsync(StorageRow row, WriteCondition condition, CancellationToken ct = default)
    {
        try
        {
            RequestChecks.CheckRow(row, Limits);
            var write = new PendingRowWrite(SqliteRowAddress.Of(Id, row.PartitionKey, row.RowKey), DataArray(row.Data), condition, ct);
            return provider.Writer.EnqueueAsync(write, ct);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return ValueTask.FromException<string>(ex);
        }
    }

    public ValueTask<bool> DeleteAsync(string partitionKey, string rowKey, string? ifMatchETag = null, CancellationToken ct = default)
    {
        try
        {
            RequestChecks.CheckKey(partitionKey, "PartitionKey", Limits);
            RequestChecks.CheckKey(rowKey, "RowKey", Limits);
            var delete = new PendingDelete(SqliteRowAddress.Of(Id, partitionKey, rowKey), ifMatchETag, ct);
            return provider.Writer.EnqueueAsync(delete, ct);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return ValueTask.FromException<bool>(ex);
        }
    }

    public ValueTask<IReadOnlyList<string?>> BatchAsync(string partitionKey, IReadOnlyList<RowOperation> operations, CancellationToken ct = default)
    {
        try
        {
            RequestChecks.CheckBatch(partitionKey, operations, Limits);
            if (operations.Count == 0)
                return ValueTask.FromResult<IReadOnlyList<string?>>([]);
            return provider.Writer.EnqueueAsync(new PendingBatch(Id, partitionKey, operations, ct), ct);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return ValueTask.FromException<IReadOnlyList<string?>>(ex);
        }
    }

    public ValueTask<StoragePage> QueryAsync(RowQuery query, string? continuation, int pageSize, CancellationToken ct = default)
    {
        try
        {
            RequestChecks.CheckQuery(query, Limits);
            RequestChecks.CheckPageSize(pageSize, Limits);
            (string PartitionKey, string RowKey)? after = continuation is null ? null : ContinuationToken.Decode(continuation);
            ct.ThrowIfCancellationRequested();
            return ValueTask.FromResult(query.PartitionKey is null ? QueryTable(query, after, pageSize) : QueryPartition(query, after, pageSize));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return ValueTask.FromException<StoragePage>(ex);
        }
    }

    private StoragePage QueryPartition(RowQuery query, (string PartitionKey, string RowKey)? after, int pageSize)
    {
        var partition = query.PartitionKey!;
        var lower = query.RowKeyFrom is null ? [] : SqliteKeys.Encode(query.RowKeyFrom);
        if (after is { } cursor)
        {
            var order = string.CompareOrdinal(cursor.PartitionKey, partition);
            if (order > 0)
                return new StoragePage([], null); // the cursor is past this partition
            if (order == 0)
            {
                var next = SqliteKeys.Successor(SqliteKeys.Encode(cursor.RowKey));
                if (SqliteKeys.Compare(next, lower) > 0)
                    lower = next;
            }
        }
        var upper = query.RowKeyTo is null ? null : SqliteKeys.Encode(query.RowKeyTo);

        // Ask for one row more than the page: if it comes back there is more to read.
        var rows = new List<StorageRow>(Math.Min(pageSize + 1, 64));
        provider.Read((Id, partition, lower, upper, pageSize, rows), static (session, q) =>
        {
            session.ReadPartition(q.Id, q.partition, q.lower, q.upper, q.pageSize + 1, q.rows);
            return 0;
        });
        return ToPage(rows, pageSize);
    }

    private StoragePage QueryTable(RowQuery query, (string PartitionKey, string RowKey)? after, int pageSize)
    {
        byte[] lowerPartition = [], lowerRow = [];
        if (after is { } cursor)
        {
            lowerPartition = SqliteKeys.Encode(cursor.PartitionKey);
            lowerRow = SqliteKeys.Successor(SqliteKeys.Encode(cursor.RowKey));
        }
        var from = query.RowKeyFrom is null ? [] : SqliteKeys.Encode(query.RowKeyFrom);
        var to = query.RowKeyTo is null ? null : SqliteKeys.Encode(query.RowKeyTo);

        var rows = new List<StorageRow>(Math.Min(pageSize + 1, 64));
        provider.Read((Id, lowerPartition, lowerRow, from, to, pageSize, rows), static (session, q) =>
        {
            session.ReadTable(q.Id, q.lowerPartition, q.lowerRow, q.from, q.to, q.pageSize + 1, q.rows);
            return 0;
        });
        return ToPage(rows, pageSize);
    }

    private static StoragePage ToPage(List<StorageRow> rows, int pageSize)
    {
        if (rows.Count <= pageSize)
            return new StoragePage(rows, null);
        rows.RemoveAt(pageSize);
        var last = rows[^1];
        return new StoragePage(rows, ContinuationToken.Encode(last.PartitionKey, last.RowKey));
    }

    /// <summary>The row's bytes as an array for SQLite to bind, without a copy when the memory is a whole array.</summary>
    internal static byte[] DataArray(ReadOnlyMemory<byte> data) =>
        MemoryMarshal.TryGetArray(data, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : data.ToArray();
}
