namespace Comet.Persistence.Sqlite;

/// <summary>What went wrong with the SQLite database, so callers can tell retryable failures from ones an operator must fix.</summary>
public enum SqliteStoreError
{
    /// <summary>The file or its directory cannot be created, opened or written (path, permissions, file system).</summary>
    CannotOpen = 1,

    /// <summary>Another connection or process held the lock for longer than the busy timeout; nothing was written. Retryable.</summary>
    Busy = 2,

    /// <summary>The file is not a SQLite database, is corrupt, or belongs to another application.</summary>
    NotADatabase = 3,

    /// <summary>The disk is full.</summary>
    DiskFull = 4,

    /// <summary>A row is larger than SQLite accepts.</summary>
    TooLarge = 5,

    /// <summary>An I/O error or another unexpected SQLite failure.</summary>
    Failed = 6,
}
