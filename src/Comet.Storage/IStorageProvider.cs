namespace Comet.Storage;

/// <summary>
/// A store of named tables of rows addressed by (PartitionKey, RowKey): the one seam between the
/// grid and durable storage. The model maps 1:1 onto Azure Table storage, so objects, versions,
/// hints and the membership table are all built on it and every provider (Memory, SQLite, Azure
/// Tables) passes the same contract test suite (<c>StorageProviderContract</c>).
/// </summary>
/// <remarks>
/// Implementations are thread-safe. Disposing flushes every accepted write before it returns.
/// </remarks>
public interface IStorageProvider : IAsyncDisposable
{
    /// <summary>The provider's kind, for logs and the admin API (for example "Sqlite").</summary>
    string Name { get; }

    /// <summary>The limits this provider enforces on keys, rows, batches and pages (read them; do not change them).</summary>
    StorageLimits Limits { get; }

    /// <summary>
    /// Opens the table called <paramref name="tableName"/>, creating it if it does not exist.
    /// Names match <c>[A-Za-z][A-Za-z0-9]{2,62}</c> and, as in Azure, are case-insensitive
    /// ("Objects" and "objects" are the same table); "tables" is reserved.
    /// </summary>
    /// <exception cref="Comet.Abstractions.Errors.CometException">BadRequest for an invalid name.</exception>
    ValueTask<IStorageTable> OpenTableAsync(string tableName, CancellationToken ct = default);
}
