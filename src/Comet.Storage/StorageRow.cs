namespace Comet.Storage;

/// <summary>
/// One row: its address (PartitionKey, RowKey) and opaque data. <see cref="ETag"/> and
/// <see cref="Timestamp"/> (the time of the last write, set by the provider) are filled in on
/// reads and ignored on writes, where the <see cref="WriteCondition"/> carries the expected ETag.
/// </summary>
/// <remarks>
/// Record equality compares <see cref="Data"/> by reference, not by content. A provider never
/// keeps a reference to the caller's buffer after the write's task completes; the caller must not
/// change the buffer before then.
/// </remarks>
/// <param name="PartitionKey">Groups rows; batches and cheap range queries stay within one partition.</param>
/// <param name="RowKey">The row's key within its partition.</param>
/// <param name="Data">The row's bytes, up to <see cref="StorageLimits.MaxRowBytes"/>.</param>
/// <param name="ETag">The row's version as the provider last wrote it (null on rows to be written).</param>
/// <param name="Timestamp">When the provider last wrote the row (default on rows to be written).</param>
public sealed record StorageRow(
    string PartitionKey,
    string RowKey,
    ReadOnlyMemory<byte> Data,
    string? ETag = null,
    DateTimeOffset Timestamp = default);
