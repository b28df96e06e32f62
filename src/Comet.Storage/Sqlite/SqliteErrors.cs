using Comet.Abstractions.Errors;
using Microsoft.Data.Sqlite;

namespace Comet.Storage.Sqlite;

/// <summary>Turns SQLite failures into <see cref="CometException"/>s that say what to fix.</summary>
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

    public static Exception Map(Exception error, SqliteStorageOptions options)
    {
        if (error is CometException or OperationCanceledException or ObjectDisposedException)
            return error;
        if (error is not SqliteException sqlite)
        {
            return new CometException(CometErrorCode.Internal,
                $"Unexpected failure in the SQLite store '{options.DataSource}': {error.Message}", error);
        }

        var path = options.DataSource;
        return (sqlite.SqliteErrorCode & 0xFF) switch
        {
            SqliteBusy or SqliteLocked => new CometException(CometErrorCode.Timeout,
                $"The SQLite database '{path}' stayed locked by another connection or process for longer than BusyTimeout ({options.BusyTimeout}); nothing was written. Retry, or raise SqliteStorageOptions.BusyTimeout.", sqlite),
            SqliteNotADb or SqliteCorrupt => new CometException(CometErrorCode.Unavailable,
                $"'{path}' is not a SQLite database or is corrupt ({sqlite.Message}). Point SqliteStorageOptions.DataSource at another file, or restore this one from a backup.", sqlite),
            SqliteFull => new CometException(CometErrorCode.Unavailable,
                $"The disk holding the SQLite database '{path}' is full; free space and retry.", sqlite),
            SqliteCantOpen => new CometException(CometErrorCode.Unavailable,
                $"Cannot open the SQLite database '{path}' ({sqlite.Message}); check that the path is a file in a writable directory.", sqlite),
            SqliteReadOnly or SqlitePerm => new CometException(CometErrorCode.Unavailable,
                $"The SQLite database '{path}' is read-only for this process ({sqlite.Message}); fix its permissions.", sqlite),
            SqliteTooBig => new CometException(CometErrorCode.TooLarge,
                $"The row is larger than the SQLite database '{path}' accepts ({sqlite.Message}); lower StorageLimits.MaxRowBytes.", sqlite),
            SqliteIoErr => new CometException(CometErrorCode.Unavailable,
                $"I/O error on the SQLite database '{path}' ({sqlite.Message}); check the disk.", sqlite),
            _ => new CometException(CometErrorCode.Internal,
                $"SQLite error {sqlite.SqliteErrorCode} on '{path}': {sqlite.Message}", sqlite),
        };
    }
}
