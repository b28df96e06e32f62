using System.Collections.Concurrent;
using System.Globalization;

namespace Comet.Storage.Memory;

/// <summary>
/// Tables held in process memory, with the same semantics as the durable providers: for unit
/// tests of the grid and for the contract suite's reference behaviour. Thread-safe; nothing
/// survives disposal.
/// </summary>
public sealed class MemoryStorageProvider : IStorageProvider
{
    private readonly ConcurrentDictionary<string, MemoryTable> tables = new(StringComparer.OrdinalIgnoreCase);
    private long lastETag;
    private volatile bool disposed;

    /// <summary>Creates an empty store.</summary>
    /// <param name="limits">The limits to enforce; <see cref="StorageLimits.Default"/> if null.</param>
    /// <param name="timeProvider">The clock for row timestamps; the system clock if null.</param>
    public MemoryStorageProvider(StorageLimits? limits = null, TimeProvider? timeProvider = null)
    {
        limits ??= StorageLimits.Default;
        limits.Validate();
        Limits = limits.Snapshot();
        Time = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public string Name => "Memory";

    /// <inheritdoc />
    public StorageLimits Limits { get; }

    internal TimeProvider Time { get; }

    /// <inheritdoc />
    public ValueTask<IStorageTable> OpenTableAsync(string tableName, CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        RequestChecks.CheckTableName(tableName);
        ct.ThrowIfCancellationRequested();
        return ValueTask.FromResult<IStorageTable>(tables.GetOrAdd(tableName, static (name, self) => new MemoryTable(name, self), this));
    }

    /// <summary>A new ETag, never handed out before by this provider (so a deleted and re-created row never matches an old ETag).</summary>
    internal string NextETag() =>
        Interlocked.Increment(ref lastETag).ToString(CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        disposed = true;
        tables.Clear();
        return ValueTask.CompletedTask;
    }
}
