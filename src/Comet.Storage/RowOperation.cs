namespace Comet.Storage;

/// <summary>What one operation of a batch does.</summary>
public enum RowOperationKind
{
    /// <summary>Write a row under a <see cref="WriteCondition"/>.</summary>
    Write = 0,

    /// <summary>Delete a row that must exist, optionally only with a given ETag.</summary>
    Delete = 1,
}

/// <summary>
/// One operation of <see cref="IStorageTable.BatchAsync"/>: <see cref="Write"/> a row under a
/// condition, or <see cref="Delete"/> one (which must exist).
/// </summary>
public sealed record RowOperation
{
    private RowOperation(RowOperationKind kind, string rowKey, StorageRow? row, WriteCondition condition, string? ifMatchETag)
    {
        Kind = kind;
        RowKey = rowKey;
        Row = row;
        Condition = condition;
        IfMatchETag = ifMatchETag;
    }

    /// <summary>Write or delete.</summary>
    public RowOperationKind Kind { get; }

    /// <summary>The row this operation touches.</summary>
    public string RowKey { get; }

    /// <summary>The row to write (for <see cref="RowOperationKind.Write"/>); null for deletes.</summary>
    public StorageRow? Row { get; }

    /// <summary>The write's precondition (for <see cref="RowOperationKind.Write"/>).</summary>
    public WriteCondition Condition { get; }

    /// <summary>For a delete, the ETag the row must have, or null for any.</summary>
    public string? IfMatchETag { get; }

    /// <summary>Writes <paramref name="row"/> if <paramref name="condition"/> holds.</summary>
    public static RowOperation Write(StorageRow row, WriteCondition condition = default)
    {
        ArgumentNullException.ThrowIfNull(row);
        return new(RowOperationKind.Write, row.RowKey, row, condition, null);
    }

    /// <summary>
    /// Deletes the row <paramref name="rowKey"/>, which must exist (and have
    /// <paramref name="ifMatchETag"/> if given), or the whole batch fails with Conflict.
    /// </summary>
    public static RowOperation Delete(string rowKey, string? ifMatchETag = null)
    {
        ArgumentNullException.ThrowIfNull(rowKey);
        if (ifMatchETag is not null)
            ArgumentException.ThrowIfNullOrEmpty(ifMatchETag);
        return new(RowOperationKind.Delete, rowKey, null, default, ifMatchETag);
    }
}
