using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Comet.Storage.Sqlite;

/// <summary>Opens connections to the database file, each set up the same way.</summary>
internal sealed class SqliteConnections(SqliteStorageOptions options)
{
    private readonly string connectionString = new SqliteConnectionStringBuilder
    {
        DataSource = options.DataSource,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Cache = SqliteCacheMode.Private,
        // The provider keeps its own long-lived connections (one writer, a pool of readers with
        // prepared statements); the ADO.NET pool would only keep the file open after disposal.
        Pooling = false,
        // Microsoft.Data.Sqlite retries SQLITE_BUSY until this (seconds) on top of SQLite's own
        // busy_timeout below, which does the real waiting; one second is the smallest non-zero value.
        DefaultTimeout = 1,
    }.ToString();

    public SqliteStorageOptions Options => options;

    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            var synchronous = options.Synchronous == SqliteSynchronousMode.Full ? "FULL" : "NORMAL";
            var busyMs = (long)options.BusyTimeout.TotalMilliseconds;
            Execute(connection, string.Create(CultureInfo.InvariantCulture,
                $"PRAGMA busy_timeout = {busyMs}; PRAGMA synchronous = {synchronous}; PRAGMA journal_size_limit = {options.JournalSizeLimit}; PRAGMA wal_autocheckpoint = {options.AutoCheckpointPages};"));
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Runs statements and reads every result to the end (a half-read statement pins the WAL).</summary>
    public static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        do
        {
            while (reader.Read())
            {
            }
        }
        while (reader.NextResult());
    }
}
