using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Comet.Persistence.Sqlite;

/// <summary>Opens connections to a database file, each set up the same way, and runs statements safely.</summary>
internal static class SqliteDatabase
{
    public static string FullPath(string dataSource) => Path.GetFullPath(dataSource.Trim());

    /// <summary>
    /// Opens a connection with the provider's pragmas, creating the directory if needed and switching
    /// the file to WAL. Fails with a <see cref="SqliteStoreException"/> that names the path and the fix.
    /// </summary>
    public static SqliteConnection Open(SqliteDatabaseOptions options, string owner)
    {
        var path = FullPath(options.DataSource);
        if (Directory.Exists(path))
            throw SqliteErrors.CannotOpen(path, owner, options, "the path is a directory", null);
        var directory = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(directory))
        {
            try
            {
                Directory.CreateDirectory(directory);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
            {
                throw SqliteErrors.CannotOpen(path, owner, options, $"its directory cannot be created ({ex.Message})", ex);
            }
        }

        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            // Providers keep their own long-lived connections; the ADO.NET pool would only keep the
            // file open after disposal.
            Pooling = false,
            // Microsoft.Data.Sqlite retries SQLITE_BUSY until this (seconds) on top of SQLite's own
            // busy handler below, which does the real waiting; one second is the smallest non-zero value.
            DefaultTimeout = 1,
        }.ToString());
        try
        {
            connection.Open();
            var synchronous = options.Synchronous == SqliteSynchronousMode.Full ? "FULL" : "NORMAL";
            // The busy handler first: switching to WAL below needs a lock another process may hold.
            Execute(connection, string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout = {(long)options.BusyTimeout.TotalMilliseconds};"));
            SqliteBusyWaiter.Install(connection, options.BusyTimeout);
            Execute(connection, string.Create(CultureInfo.InvariantCulture,
                $"PRAGMA synchronous = {synchronous}; PRAGMA journal_size_limit = {options.JournalSizeLimit}; PRAGMA wal_autocheckpoint = {options.AutoCheckpointPages}; PRAGMA foreign_keys = OFF;"));
            // The journal mode is stored in the file; once WAL, this is a no-op.
            var mode = Scalar(connection, "PRAGMA journal_mode = WAL;") as string;
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                throw SqliteErrors.CannotOpen(path, owner, options, $"it cannot use write-ahead logging (journal mode stayed '{mode}'); put it on a local file system", null);
            return connection;
        }
        catch (Exception ex)
        {
            connection.Dispose();
            throw SqliteErrors.Map(ex, options, owner);
        }
    }

    /// <summary>Runs statements and reads every result to the end (a half-read statement pins the WAL).</summary>
    public static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        Drain(reader);
    }

    /// <summary>The first column of the first row, reading the rest to the end.</summary>
    public static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        object? value = reader.Read() ? reader.GetValue(0) : null;
        Drain(reader);
        return value;
    }

    public static void Drain(SqliteDataReader reader)
    {
        do
        {
            while (reader.Read())
            {
            }
        }
        while (reader.NextResult());
    }

    /// <summary>True while a transaction is open on <paramref name="connection"/>.</summary>
    public static bool InTransaction(SqliteConnection connection) => SQLitePCL.raw.sqlite3_get_autocommit(connection.Handle) == 0;

    /// <summary>
    /// Runs <paramref name="work"/> in a <c>BEGIN IMMEDIATE</c> transaction: the write lock is taken up
    /// front, so a read-check-write sequence cannot interleave with another process's, and a
    /// transaction never upgrades from read to write (no SQLITE_BUSY_SNAPSHOT mid-way). Commits if
    /// <paramref name="work"/> returns true, rolls back otherwise or on error.
    /// </summary>
    public static T Immediate<T>(SqliteConnection connection, Func<SqliteConnection, (bool Commit, T Result)> work)
    {
        Execute(connection, "BEGIN IMMEDIATE;");
        try
        {
            var (commit, result) = work(connection);
            Execute(connection, commit ? "COMMIT;" : "ROLLBACK;");
            return result;
        }
        catch
        {
            RollbackIfOpen(connection);
            throw;
        }
    }

    public static void RollbackIfOpen(SqliteConnection connection)
    {
        try
        {
            if (InTransaction(connection))
                Execute(connection, "ROLLBACK;");
        }
        catch (SqliteException)
        {
            // The original failure is the one to report; SQLite may have ended the transaction itself.
        }
    }

    public static SqliteCommand Command(SqliteConnection connection, string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }
}
