namespace Comet.Storage.Sqlite;

/// <summary>How hard SQLite works to make a commit survive a power failure.</summary>
public enum SqliteSynchronousMode
{
    /// <summary>
    /// WAL + <c>synchronous=NORMAL</c>: a commit survives a process crash; the last commits before
    /// an OS crash or power loss may roll back (replication covers that). ~40k upserts/s here.
    /// </summary>
    Normal = 1,

    /// <summary><c>synchronous=FULL</c>: every commit is fsynced before it is acknowledged. Slower.</summary>
    Full = 2,
}

/// <summary>
/// Options of <see cref="SqliteStorageProvider"/>, the embedded default store: one database file,
/// shared by every silo process of a local cluster.
/// </summary>
public sealed class SqliteStorageOptions
{
    /// <summary>Path of the database file; it and its directory are created if missing. Required.</summary>
    public string DataSource { get; set; } = "";

    /// <summary>How long a statement waits for a lock held by another connection or process before it fails with Timeout.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Most rows the writer commits in one transaction; queued writes beyond it go in the next one.</summary>
    public int WriteBatchMaxRows { get; set; } = 256;

    /// <summary>Most writes queued for the writer; further writers wait (asynchronously) for room.</summary>
    public int WriteQueueCapacity { get; set; } = 16_384;

    /// <summary>How often the writer runs <c>PRAGMA wal_checkpoint(TRUNCATE)</c> when rows were written since the last one.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a scheduled checkpoint waits for readers and other writers before it gives up until the next interval.</summary>
    public TimeSpan CheckpointWaitTimeout { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Size in bytes the WAL file is truncated to after it is reset (<c>PRAGMA journal_size_limit</c>).</summary>
    public long JournalSizeLimit { get; set; } = 64L * 1024 * 1024;

    /// <summary>WAL size in pages at which a commit also checkpoints (<c>PRAGMA wal_autocheckpoint</c>).</summary>
    public int AutoCheckpointPages { get; set; } = 1000;

    /// <summary>Idle read connections kept open (each with its prepared statements); more are opened under load and closed after.</summary>
    public int ReadConnectionPoolSize { get; set; } = 8;

    /// <summary>Durability of a commit; see <see cref="SqliteSynchronousMode"/>.</summary>
    public SqliteSynchronousMode Synchronous { get; set; } = SqliteSynchronousMode.Normal;

    /// <summary>Key, row, batch and page limits.</summary>
    public StorageLimits Limits { get; set; } = new();

    /// <summary>A copy the provider keeps, so later changes to these options cannot affect it.</summary>
    internal SqliteStorageOptions Snapshot()
    {
        var copy = (SqliteStorageOptions)MemberwiseClone();
        copy.Limits = Limits.Snapshot();
        return copy;
    }

    /// <summary>Throws if an option is missing or out of range, saying which and why.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(DataSource))
            throw new ArgumentException("SqliteStorageOptions.DataSource must name the database file.", nameof(DataSource));
        if (DataSource.Trim() == ":memory:" || DataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException("SqliteStorageOptions.DataSource must be a file path (WAL and sharing between processes need a real file).", nameof(DataSource));
        if (BusyTimeout < TimeSpan.FromMilliseconds(1) || BusyTimeout > TimeSpan.FromMinutes(10))
            throw new ArgumentOutOfRangeException(nameof(BusyTimeout), BusyTimeout, "SqliteStorageOptions.BusyTimeout must be 1 ms..10 min.");
        if (WriteBatchMaxRows is < 1 or > 100_000)
            throw new ArgumentOutOfRangeException(nameof(WriteBatchMaxRows), WriteBatchMaxRows, "SqliteStorageOptions.WriteBatchMaxRows must be 1..100000.");
        if (WriteQueueCapacity < 1)
            throw new ArgumentOutOfRangeException(nameof(WriteQueueCapacity), WriteQueueCapacity, "SqliteStorageOptions.WriteQueueCapacity must be positive.");
        if (CheckpointInterval < TimeSpan.FromMilliseconds(10))
            throw new ArgumentOutOfRangeException(nameof(CheckpointInterval), CheckpointInterval, "SqliteStorageOptions.CheckpointInterval must be at least 10 ms.");
        if (CheckpointWaitTimeout < TimeSpan.Zero || CheckpointWaitTimeout > BusyTimeout)
            throw new ArgumentOutOfRangeException(nameof(CheckpointWaitTimeout), CheckpointWaitTimeout, "SqliteStorageOptions.CheckpointWaitTimeout must be 0..BusyTimeout.");
        if (JournalSizeLimit < 0)
            throw new ArgumentOutOfRangeException(nameof(JournalSizeLimit), JournalSizeLimit, "SqliteStorageOptions.JournalSizeLimit must not be negative.");
        if (AutoCheckpointPages < 1)
            throw new ArgumentOutOfRangeException(nameof(AutoCheckpointPages), AutoCheckpointPages, "SqliteStorageOptions.AutoCheckpointPages must be positive.");
        if (ReadConnectionPoolSize is < 0 or > 1024)
            throw new ArgumentOutOfRangeException(nameof(ReadConnectionPoolSize), ReadConnectionPoolSize, "SqliteStorageOptions.ReadConnectionPoolSize must be 0..1024.");
        if (!Enum.IsDefined(Synchronous))
            throw new ArgumentOutOfRangeException(nameof(Synchronous), Synchronous, "SqliteStorageOptions.Synchronous must be Normal or Full.");
        ArgumentNullException.ThrowIfNull(Limits, nameof(Limits));
        Limits.Validate();
    }
}
