namespace Comet.Storage;

/// <summary>
/// One table of rows addressed by (PartitionKey, RowKey), ordered by
/// (<see cref="string.CompareOrdinal(string, string)"/> of PartitionKey, then of RowKey), i.e. by
/// UTF-16 code units. Every write changes the row's ETag; conditional writes give optimistic
/// concurrency. Errors are <see cref="Comet.Abstractions.Errors.CometException"/>s:
/// <see cref="StorageConflictException"/> (Conflict) for a failed condition, BadKey for a key that
/// is empty, too long or not valid UTF-16, TooLarge for data over
/// <see cref="StorageLimits.MaxRowBytes"/>, BadRequest for any other malformed request.
/// </summary>
public interface IStorageTable
{
    /// <summary>The table's name as it was first opened.</summary>
    string Name { get; }

    /// <summary>Reads one row, or returns null if it does not exist.</summary>
    ValueTask<StorageRow?> ReadAsync(string partitionKey, string rowKey, CancellationToken ct = default);

    /// <summary>
    /// Writes <paramref name="row"/> (its ETag and Timestamp are ignored) if
    /// <paramref name="condition"/> holds and returns the row's new ETag. The returned task completes
    /// only once the write is durable in the provider; a cancelled token only prevents writes that
    /// have not started.
    /// </summary>
    /// <exception cref="StorageConflictException">The condition does not hold; nothing changed.</exception>
    ValueTask<string> WriteAsync(StorageRow row, WriteCondition condition, CancellationToken ct = default);

    /// <summary>
    /// Deletes a row. Returns false if it did not exist. With <paramref name="ifMatchETag"/>, deletes
    /// only if the row's current ETag is that one.
    /// </summary>
    /// <exception cref="StorageConflictException">The row exists with another ETag; nothing changed.</exception>
    ValueTask<bool> DeleteAsync(string partitionKey, string rowKey, string? ifMatchETag = null, CancellationToken ct = default);

    /// <summary>
    /// Returns up to <paramref name="pageSize"/> rows matching <paramref name="query"/>, in
    /// (PartitionKey, RowKey) ordinal order, starting after <paramref name="continuation"/> (null for
    /// the first page). A null <see cref="StoragePage.Continuation"/> means there are no more rows; a
    /// page may hold fewer rows than asked (even none) and still have a continuation. The token is
    /// opaque and stays valid under concurrent writes: paging to the end returns every row that
    /// existed throughout exactly once.
    /// </summary>
    /// <param name="query">Which rows: a partition (or the whole table) and a RowKey range.</param>
    /// <param name="continuation">The previous page's continuation, or null.</param>
    /// <param name="pageSize">1 to <see cref="StorageLimits.MaxPageSize"/>.</param>
    /// <param name="ct">Cancels the call.</param>
    ValueTask<StoragePage> QueryAsync(RowQuery query, string? continuation, int pageSize, CancellationToken ct = default);

    /// <summary>
    /// Applies up to <see cref="StorageLimits.MaxBatchOperations"/> operations on distinct rows of
    /// one partition atomically: either all succeed or none has any effect. Returns each
    /// operation's new ETag, in order (null for deletes). As in Azure, a delete in a batch needs the
    /// row to exist. An empty batch does nothing.
    /// </summary>
    /// <exception cref="StorageConflictException">
    /// An operation's condition did not hold (or a deleted row was missing); nothing changed.
    /// <see cref="StorageConflictException.OperationIndex"/> says which one.
    /// </exception>
    ValueTask<IReadOnlyList<string?>> BatchAsync(string partitionKey, IReadOnlyList<RowOperation> operations, CancellationToken ct = default);
}
