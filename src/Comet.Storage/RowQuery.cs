namespace Comet.Storage;

/// <summary>
/// Which rows a query returns: those of <see cref="PartitionKey"/> (or of every partition when it
/// is null) whose RowKey is in [<see cref="RowKeyFrom"/>, <see cref="RowKeyTo"/>) by ordinal
/// comparison; a null bound is open.
/// </summary>
/// <param name="PartitionKey">The one partition to read, or null for the whole table.</param>
/// <param name="RowKeyFrom">Smallest RowKey returned (inclusive), or null.</param>
/// <param name="RowKeyTo">RowKeys returned are below this one (exclusive), or null.</param>
public sealed record RowQuery(string? PartitionKey = null, string? RowKeyFrom = null, string? RowKeyTo = null)
{
    /// <summary>Every row of the table.</summary>
    public static RowQuery All { get; } = new();

    /// <summary>Every row of one partition.</summary>
    public static RowQuery Partition(string partitionKey) => new(partitionKey);
}
