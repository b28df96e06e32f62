using Microsoft.Data.Sqlite;

namespace Comet.Persistence.Sqlite;

/// <summary>Turns SQLite failures into <see cref="SqliteStoreException"/>s that say what to fix.</summary>
internal static class SqliteErrors
{
    // Primary result codes (https://www.sqlite.org/rescode.html).
    private const int SqlitePerm = 3;
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;
    private const int SqliteReadOnly = 8;
    private const int SqliteIoErr = 10;
    private const int SqliteCorrupt = 11;
    private const int SqliteFull = 13;
    private const int SqliteCantOpen = 14;
    private const int SqliteTooBig = 18;
    private const int SqliteNotADb = 26;

    public static bool IsBusy(SqliteException ex) => (ex.SqliteErrorCode & 0xFF) is SqliteBusy or SqliteLocked;

    /// <summary>Maps <paramref name="error"/>; exceptions that already say what happened pass through.</summary>
    public static Exception Map(Exception error, SqliteDatabaseOptions options, string owner)
    {
        if (error is SqliteStoreException or OperationCanceledException or ObjectDisposedException)
            return error;
        var path = SqliteDatabase.FullPath(options.DataSource);
        if (error is not SqliteException sqlite)
            return new SqliteStoreException(SqliteStoreError.Failed, path, $"Unexpected failure of the SQLite database '{path}' used by {owner}: {error.Message}", error);

        return (sqlite.SqliteErrorCode & 0xFF) switch
        {
            SqliteBusy or SqliteLocked => new SqliteStoreException(SqliteStoreError.Busy, path,
                $"The SQLite database '{path}' used by {owner} stayed locked by another connection or process for longer than BusyTimeout ({options.BusyTimeout}); nothing was written. Retry, or raise {options.GetType().Name}.BusyTimeout.", sqlite),
            SqliteNotADb or SqliteCorrupt => new SqliteStoreException(SqliteStoreError.NotADatabase, path,
                $"'{path}' (used by {owner}) is not a SQLite database or is corrupt ({sqlite.Message}). Point {options.GetType().Name}.DataSource at another file, or restore this one from a backup.", sqlite),
            SqliteFull => new SqliteStoreException(SqliteStoreError.DiskFull, path,
                $"The disk holding the SQLite database '{path}' used by {owner} is full; free space and retry.", sqlite),
            SqliteCantOpen or SqliteReadOnly or SqlitePerm => CannotOpen(path, owner, options, sqlite.Message, sqlite),
            SqliteTooBig => new SqliteStoreException(SqliteStoreError.TooLarge, path,
                $"A row is larger than the SQLite database '{path}' used by {owner} accepts ({sqlite.Message}); store less state per grain.", sqlite),
            SqliteIoErr => new SqliteStoreException(SqliteStoreError.Failed, path,
                $"I/O error on the SQLite database '{path}' used by {owner} ({sqlite.Message}); check the disk and the directory's permissions.", sqlite),
            _ => new SqliteStoreException(SqliteStoreError.Failed, path,
                $"SQLite error {sqlite.SqliteErrorCode} on '{path}' used by {owner}: {sqlite.Message}", sqlite),
        };
    }

    public static SqliteStoreException CannotOpen(string path, string owner, SqliteDatabaseOptions options, string reason, Exception? inner) =>
        new(SqliteStoreError.CannotOpen, path,
            $"Cannot open the SQLite database '{path}' for {owner}: {reason}. Set {options.GetType().Name}.DataSource to a file in a directory this process can write " +
            $"(SQLite also creates '{Path.GetFileName(path)}-wal' and '-shm' next to it), or fix the permissions of '{Path.GetDirectoryName(path)}'.", inner);
}
