namespace Comet.Storage;

/// <summary>
/// Limits every provider enforces, so code that works against SQLite or Memory also works against
/// Azure Table storage. Bound from configuration; <see cref="Validate"/> at start-up.
/// </summary>
public sealed class StorageLimits
{
    /// <summary>Azure Table storage's cap on operations in one entity group transaction.</summary>
    public const int AzureMaxBatchOperations = 100;

    /// <summary>Azure Table storage's cap on entities in one query response.</summary>
    public const int AzureMaxPageSize = 1000;

    /// <summary>Longest PartitionKey or RowKey, in UTF-16 characters.</summary>
    public int MaxKeyLength { get; set; } = 1024;

    /// <summary>Largest row <see cref="StorageRow.Data"/> in bytes (a 1 MiB value plus its metadata must fit).</summary>
    public int MaxRowBytes { get; set; } = 1536 * 1024;

    /// <summary>Most operations in one batch (at most <see cref="AzureMaxBatchOperations"/>).</summary>
    public int MaxBatchOperations { get; set; } = AzureMaxBatchOperations;

    /// <summary>Largest total <see cref="StorageRow.Data"/> of one batch in bytes (Azure's $batch payload cap).</summary>
    public int MaxBatchBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Most rows one query page may ask for (at most <see cref="AzureMaxPageSize"/>).</summary>
    public int MaxPageSize { get; set; } = AzureMaxPageSize;

    /// <summary>The defaults.</summary>
    public static StorageLimits Default { get; } = new();

    /// <summary>A copy a provider keeps, so later changes to these limits cannot affect it.</summary>
    internal StorageLimits Snapshot() => (StorageLimits)MemberwiseClone();

    /// <summary>Throws if a limit is outside what every provider can honour.</summary>
    public void Validate()
    {
        if (MaxKeyLength is < 1 or > 1024)
            throw new ArgumentOutOfRangeException(nameof(MaxKeyLength), MaxKeyLength, "StorageLimits.MaxKeyLength must be 1..1024 characters.");
        if (MaxRowBytes is < 1 or > 256 * 1024 * 1024)
            throw new ArgumentOutOfRangeException(nameof(MaxRowBytes), MaxRowBytes, "StorageLimits.MaxRowBytes must be 1 byte..256 MiB.");
        if (MaxBatchOperations is < 1 or > AzureMaxBatchOperations)
            throw new ArgumentOutOfRangeException(nameof(MaxBatchOperations), MaxBatchOperations, $"StorageLimits.MaxBatchOperations must be 1..{AzureMaxBatchOperations}.");
        if (MaxBatchBytes < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxBatchBytes), MaxBatchBytes, "StorageLimits.MaxBatchBytes must be positive.");
        if (MaxPageSize is < 1 or > AzureMaxPageSize)
            throw new ArgumentOutOfRangeException(nameof(MaxPageSize), MaxPageSize, $"StorageLimits.MaxPageSize must be 1..{AzureMaxPageSize}.");
    }
}
