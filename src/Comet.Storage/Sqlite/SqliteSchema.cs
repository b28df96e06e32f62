using Comet.Abstractions.Errors;
using Microsoft.Data.Sqlite;

namespace Comet.Storage.Sqlite;

/// <summary>
/// The database layout. All logical tables share one physical table, <c>comet_rows</c>, keyed by
/// (table_id, pk, rk), rather than one SQLite table each: the statements are the same text for
/// every table, so each connection prepares them once; opening a table never runs DDL (which
/// would make every other connection and process re-prepare its statements); and the catalog
/// <c>comet_tables</c> gives case-insensitive names the way Azure does. A table's rows stay
/// contiguous in the index because table_id leads the key.
/// </summary>
/// <remarks>
/// <c>WITHOUT ROWID</c>: the row lives in the primary key's b-tree, so a point read is one b-tree
/// search and keys are not stored twice. Large data spills to overflow pages either way.
/// <c>comet_meta.last_epoch</c> counts writer start-ups; each writer takes the next epoch and makes
/// versions from it (<see cref="SqliteVersions"/>), so a version (the ETag) is never handed out
/// twice, by any process, even after a row is deleted and re-created.
/// </remarks>
internal static class SqliteSchema
{
    /// <summary>Bump when the layout changes, and teach <see cref="Initialize"/> to migrate.</summary>
    public const int Version = 1;

    /// <summary>"CmtG": marks the file as a CometGrains store (<c>PRAGMA application_id</c>).</summary>
    public const int ApplicationId = 0x436D7447;

    private const string CreateSql = """
        CREATE TABLE IF NOT EXISTS comet_tables (
            id   INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE
        );
        CREATE TABLE IF NOT EXISTS comet_rows (
            table_id INTEGER NOT NULL,
            pk       BLOB    NOT NULL,  -- UTF-16BE: memcmp order is ordinal order (SqliteKeys)
            rk       BLOB    NOT NULL,
            version  INTEGER NOT NULL,  -- the ETag
            ts       INTEGER NOT NULL,  -- last write, UTC ticks
            data     BLOB    NOT NULL,
            PRIMARY KEY (table_id, pk, rk)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS comet_meta (
            key   TEXT PRIMARY KEY,
            value INTEGER NOT NULL
        ) WITHOUT ROWID;
        INSERT INTO comet_meta (key, value) VALUES ('last_epoch', 0) ON CONFLICT (key) DO NOTHING;
        """;

    /// <summary>Switches the file to WAL and creates the tables, or checks they are ours.</summary>
    public static void Initialize(SqliteConnection connection, string path)
    {
        // The journal mode is stored in the file; it cannot change inside a transaction.
        var mode = Scalar(connection, "PRAGMA journal_mode = WAL;");
        if (!string.Equals(mode as string, "wal", StringComparison.OrdinalIgnoreCase))
        {
            throw new CometException(CometErrorCode.Unavailable,
                $"The SQLite database '{path}' cannot use write-ahead logging (journal mode stayed '{mode}'); put it on a local file system.");
        }

        SqliteConnections.Execute(connection, "BEGIN IMMEDIATE;");
        try
        {
            var applicationId = Convert.ToInt64(Scalar(connection, "PRAGMA application_id;"), System.Globalization.CultureInfo.InvariantCulture);
            var userVersion = Convert.ToInt64(Scalar(connection, "PRAGMA user_version;"), System.Globalization.CultureInfo.InvariantCulture);
            var objects = Convert.ToInt64(Scalar(connection, "SELECT count(*) FROM sqlite_schema;"), System.Globalization.CultureInfo.InvariantCulture);

            if (applicationId != ApplicationId && (applicationId != 0 || objects > 0))
            {
                throw new CometException(CometErrorCode.Unavailable,
                    $"'{path}' is a SQLite database of another application; point SqliteStorageOptions.DataSource at a CometGrains store or a new file.");
            }
            if (userVersion > Version)
            {
                throw new CometException(CometErrorCode.Unavailable,
                    $"The SQLite database '{path}' has layout version {userVersion}, newer than this build understands ({Version}); upgrade this silo.");
            }

            if (userVersion < Version)
            {
                SqliteConnections.Execute(connection, CreateSql);
                SqliteConnections.Execute(connection, $"PRAGMA application_id = {ApplicationId}; PRAGMA user_version = {Version};");
            }
            SqliteConnections.Execute(connection, "COMMIT;");
        }
        catch
        {
            if (SQLitePCL.raw.sqlite3_get_autocommit(connection.Handle) == 0)
                SqliteConnections.Execute(connection, "ROLLBACK;");
            throw;
        }
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        object? value = null;
        if (reader.Read())
            value = reader.GetValue(0);
        while (reader.Read())
        {
        }
        return value;
    }
}
