using Orleans;
using Orleans.Storage;

namespace Comet.Persistence.Sqlite;

/// <summary>
/// Options of a SQLite grain storage: <c>siloBuilder.AddSqliteGrainStorage("replicas", o => o.DataSource = "data/comet.db")</c>.
/// States are kept per <c>ClusterOptions.ServiceId</c>, state name and grain id. All grain storages
/// of a process on the same file (with the same settings) share one writer, which groups concurrent
/// writes into one transaction.
/// </summary>
public sealed class SqliteGrainStorageOptions : SqliteDatabaseOptions, IStorageProviderSerializerOptions
{
    /// <summary>Stage of the silo lifecycle at which the database is opened and its table created.</summary>
    public int InitStage { get; set; } = ServiceLifecycleStage.ApplicationServices;

    /// <summary>Serializer of grain states; left null, the one Orleans registers for grain storage (by this provider's name, else the default).</summary>
    public IGrainStorageSerializer GrainStorageSerializer { get; set; } = null!;

    /// <summary>
    /// Delete the row when a state is cleared (the ETag becomes null) instead of keeping an empty row
    /// whose version still fences stale writers. Versions are never reused either way.
    /// </summary>
    public bool DeleteStateOnClear { get; set; }

    /// <summary>Most writes the writer commits in one transaction; writes queued beyond it go in the next one.</summary>
    public int WriteBatchMaxRows { get; set; } = 256;

    /// <summary>Most state bytes the writer commits in one transaction (a single larger state still goes alone).</summary>
    public int WriteBatchMaxBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>Most writes queued for the writer; further writers wait (asynchronously) for room.</summary>
    public int WriteQueueCapacity { get; set; } = 16_384;

    /// <summary>How often a <c>PRAGMA wal_checkpoint(TRUNCATE)</c> runs when states were written since the last one.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a scheduled checkpoint waits for readers and other processes' writers before it gives up until the next interval.</summary>
    public TimeSpan CheckpointWaitTimeout { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Idle read connections kept open (each with its prepared statement); more are opened under load and closed after.</summary>
    public int ReadConnectionPoolSize { get; set; } = 8;

    internal override void Validate(string owner)
    {
        base.Validate(owner);
        const string type = nameof(SqliteGrainStorageOptions);
        if (GrainStorageSerializer is null)
            throw Invalid(owner, $"{type}.{nameof(GrainStorageSerializer)} is null and Orleans registered no IGrainStorageSerializer; set one.");
        if (WriteBatchMaxRows is < 1 or > 100_000)
            throw Invalid(owner, $"{type}.{nameof(WriteBatchMaxRows)} is {WriteBatchMaxRows}; it must be 1..100000.");
        if (WriteBatchMaxBytes < 1)
            throw Invalid(owner, $"{type}.{nameof(WriteBatchMaxBytes)} is {WriteBatchMaxBytes}; it must be positive.");
        if (WriteQueueCapacity < 1)
            throw Invalid(owner, $"{type}.{nameof(WriteQueueCapacity)} is {WriteQueueCapacity}; it must be positive.");
        if (CheckpointInterval < TimeSpan.FromMilliseconds(10))
            throw Invalid(owner, $"{type}.{nameof(CheckpointInterval)} is {CheckpointInterval}; it must be at least 10 ms.");
        if (CheckpointWaitTimeout < TimeSpan.Zero || CheckpointWaitTimeout > BusyTimeout)
            throw Invalid(owner, $"{type}.{nameof(CheckpointWaitTimeout)} is {CheckpointWaitTimeout}; it must be between 0 and BusyTimeout ({BusyTimeout}).");
        if (ReadConnectionPoolSize is < 0 or > 1024)
            throw Invalid(owner, $"{type}.{nameof(ReadConnectionPoolSize)} is {ReadConnectionPoolSize}; it must be 0..1024.");
    }

    /// <summary>Settings that must agree for two storages to share a writer.</summary>
    internal string StoreIdentity() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{ConnectionIdentity()}|{WriteBatchMaxRows}|{WriteBatchMaxBytes}|{WriteQueueCapacity}|{CheckpointInterval.Ticks}|{CheckpointWaitTimeout.Ticks}|{ReadConnectionPoolSize}");
}
