namespace Comet.Storage.Memory;

/// <summary>
/// One in-memory table: a list sorted by (PartitionKey, RowKey) ordinal, guarded by one lock.
/// A sorted list (binary search, memmove on insert) beats a tree here: pages start with an
/// O(log n) search and read contiguously, and test-sized tables make inserts cheap.
/// </summary>
internal sealed class MemoryTable(string name, MemoryStorageProvider provider) : IStorageTable
{
    private readonly Lock gate = new();
    private readonly List<Entry> rows = [];

    public string Name { get; } = name;

    private StorageLimits Limits => provider.Limits;

    public ValueTask<StorageRow?> ReadAsync(string partitionKey, string rowKey, CancellationToken ct = default)
    {
        try
        {
            RequestChecks.CheckKey(partitionKey, "PartitionKey", Limits);
            RequestChecks.CheckKey(rowKey, "RowKey", Limits);
            ct.ThrowIfCancellationRequested();
            lock (gate)
            {
                var index = Find(partitionKey, rowKey);
                return ValueTask.FromResult(index >= 0 ? rows[index].ToRow() : null);
            }
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
            ct.ThrowIfCancellationRequested();
            lock (gate)
            {
                var index = Find(row.PartitionKey, row.RowKey);
                if (CheckWrite(index, row.PartitionKey, row.RowKey, condition) is { } conflict)
                    throw conflict;
                return ValueTask.FromResult(Apply(index, row));
            }
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
            ct.ThrowIfCancellationRequested();
            lock (gate)
            {
                var index = Find(partitionKey, rowKey);
                if (index < 0)
                    return ValueTask.FromResult(false);
                if (ifMatchETag is not null && !string.Equals(rows[index].ETag, ifMatchETag, StringComparison.Ordinal))
                    throw RequestChecks.ETagConflict(partitionKey, rowKey, exists: true);
                rows.RemoveAt(index);
                return ValueTask.FromResult(true);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return ValueTask.FromException<bool>(ex);
        }
    }

    public ValueTask<StoragePage> QueryAsync(RowQuery query, string? continuation, int pageSize, CancellationToken ct = default)
    {
        try
        {
            RequestChecks.CheckQuery(query, Limits);
            RequestChecks.CheckPageSize(pageSize, Limits);
            var after = continuation is null ? default : ContinuationToken.Decode(continuation);
            ct.ThrowIfCancellationRequested();
            lock (gate)
            {
                return ValueTask.FromResult(QueryLocked(query, continuation is null ? null : after, pageSize));
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return ValueTask.FromException<StoragePage>(ex);
        }
    }

    public ValueTask<IReadOnlyList<string?>> BatchAsync(string partitionKey, IReadOnlyList<RowOperation> operations, CancellationToken ct = default)
    {
        try
        {
            RequestChecks.CheckBatch(partitionKey, operations, Limits);
            ct.ThrowIfCancellationRequested();
            lock (gate)
            {
                // Check every condition first, then apply: under the lock that is all-or-nothing.
                for (var i = 0; i < operations.Count; i++)
                {
                    var op = operations[i];
                    var index = Find(partitionKey, op.RowKey);
                    var conflict = op.Kind == RowOperationKind.Write
                        ? CheckWrite(index, partitionKey, op.RowKey, op.Condition)
                        : CheckBatchDelete(index, partitionKey, op.RowKey, op.IfMatchETag);
                    if (conflict is not null)
                        throw RequestChecks.BatchConflict(i, conflict);
                }

                var etags = new string?[operations.Count];
                for (var i = 0; i < operations.Count; i++)
                {
                    var op = operations[i];
                    var index = Find(partitionKey, op.RowKey);
                    if (op.Row is { } row)
                        etags[i] = Apply(index, row);
                    else
                        rows.RemoveAt(index);
                }
                return ValueTask.FromResult<IReadOnlyList<string?>>(etags);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return ValueTask.FromException<IReadOnlyList<string?>>(ex);
        }
    }

    private StorageConflictException? CheckWrite(int index, string partitionKey, string rowKey, WriteCondition condition) =>
        condition.Kind switch
        {
            WriteConditionKind.InsertOnly when index >= 0 => RequestChecks.InsertConflict(partitionKey, rowKey),
            WriteConditionKind.IfMatch when index < 0 => RequestChecks.ETagConflict(partitionKey, rowKey, exists: false),
            WriteConditionKind.IfMatch when !string.Equals(rows[index].ETag, condition.ETag, StringComparison.Ordinal) =>
                RequestChecks.ETagConflict(partitionKey, rowKey, exists: true),
            _ => null,
        };

    private StorageConflictException? CheckBatchDelete(int index, string partitionKey, string rowKey, string? ifMatchETag)
    {
        if (index < 0)
            return RequestChecks.BatchDeleteMissing(partitionKey, rowKey);
        if (ifMatchETag is not null && !string.Equals(rows[index].ETag, ifMatchETag, StringComparison.Ordinal))
            return RequestChecks.ETagConflict(partitionKey, rowKey, exists: true);
        return null;
    }

    /// <summary>Writes <paramref name="row"/> at <paramref name="index"/> (found, or the complement of the insertion point).</summary>
    private string Apply(int index, StorageRow row)
    {
        // Copy: the caller owns its buffer and may reuse it once the write completes.
        var entry = new Entry(row.PartitionKey, row.RowKey, row.Data.ToArray(), provider.NextETag(), provider.Time.GetUtcNow());
        if (index >= 0)
            rows[index] = entry;
        else
            rows.Insert(~index, entry);
        return entry.ETag;
    }

    private StoragePage QueryLocked(RowQuery query, (string PartitionKey, string RowKey)? after, int pageSize)
    {
        var partition = query.PartitionKey;
        var from = query.RowKeyFrom;
        var to = query.RowKeyTo;

        // First candidate: the query's start, or just after the continuation's key if later.
        var start = partition is null ? 0 : LowerBound(partition, from ?? "");
        if (after is { } cursor)
            start = Math.Max(start, UpperBound(cursor.PartitionKey, cursor.RowKey));

        var page = new List<StorageRow>(Math.Min(pageSize, 64));
        var index = start;
        for (; index < rows.Count; index++)
        {
            var entry = rows[index];
            if (!Matches(entry, partition, from, to, out var pastEnd))
            {
                if (pastEnd)
                    return new StoragePage(page, null);
                continue;
            }
            if (page.Count == pageSize)
            {
                // There is at least one more row: hand out a continuation.
                var last = page[^1];
                return new StoragePage(page, ContinuationToken.Encode(last.PartitionKey, last.RowKey));
            }
            page.Add(entry.ToRow());
        }
        return new StoragePage(page, null);
    }

    private static bool Matches(Entry entry, string? partition, string? from, string? to, out bool pastEnd)
    {
        pastEnd = false;
        if (partition is not null)
        {
            var samePartition = string.Equals(entry.PartitionKey, partition, StringComparison.Ordinal);
            pastEnd = !samePartition || (to is not null && string.CompareOrdinal(entry.RowKey, to) >= 0);
            return !pastEnd;
        }
        return (from is null || string.CompareOrdinal(entry.RowKey, from) >= 0)
            && (to is null || string.CompareOrdinal(entry.RowKey, to) < 0);
    }

    /// <summary>Index of the row, or the bitwise complement of where it would be inserted.</summary>
    private int Find(string partitionKey, string rowKey)
    {
        int lo = 0, hi = rows.Count - 1;
        while (lo <= hi)
        {
            var mid = lo + ((hi - lo) >> 1);
            var order = Compare(rows[mid], partitionKey, rowKey);
            if (order == 0)
                return mid;
            if (order < 0)
                lo = mid + 1;
            else
                hi = mid - 1;
        }
        return ~lo;
    }

    /// <summary>Index of the first row at or after the key.</summary>
    private int LowerBound(string partitionKey, string rowKey)
    {
        var index = Find(partitionKey, rowKey);
        return index >= 0 ? index : ~index;
    }

    /// <summary>Index of the first row strictly after the key.</summary>
    private int UpperBound(string partitionKey, string rowKey)
    {
        var index = Find(partitionKey, rowKey);
        return index >= 0 ? index + 1 : ~index;
    }

    private static int Compare(Entry entry, string partitionKey, string rowKey)
    {
        var order = string.CompareOrdinal(entry.PartitionKey, partitionKey);
        return order != 0 ? order : string.CompareOrdinal(entry.RowKey, rowKey);
    }

    /// <summary>An immutable stored row; a write replaces the entry, so readers may hand out its array.</summary>
    private sealed record Entry(string PartitionKey, string RowKey, byte[] Data, string ETag, DateTimeOffset Timestamp)
    {
        public StorageRow ToRow() => new(PartitionKey, RowKey, Data, ETag, Timestamp);
    }
}
