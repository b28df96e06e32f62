using System.Collections.Concurrent;
using Comet.Abstractions.Errors;
using Microsoft.Data.Sqlite;

namespace Comet.Storage.Sqlite;

/// <summary>
/// The embedded default store: every table in one SQLite database file in WAL mode, shared by all
/// silo processes of a local cluster. Writes go through one writer per provider that groups
/// concurrent writes into one transaction (<see cref="SqliteWriter"/>); reads use a small pool of
/// read connections with prepared statements. Conditional writes check the row version inside the
/// UPDATE, so they stay correct across processes.
/// </summary>
public sealed class SqliteStorageProvider : IStorageProvider
{
    private readonly SqliteStorageOptions options;
    private readonly SqliteReadPool readers;
    private readonly ConcurrentDictionary<string, SqliteTable> tables = new(StringComparer.OrdinalIgnoreCase);
    private readonly SemaphoreSlim tableCatalog = new(1, 1);
    private int disposed;

    /// <summary>
    /// Opens (creating if needed) the database at <see cref="SqliteStorageOptions.DataSource"/>,
    /// checks it is a CometGrains store of a layout this build understands, and starts the writer.
    /// Opening is synchronous (SQLite is), so errors surface here, at start-up.
    /// </summary>
    /// <param name="options">Validated and copied here; later changes do not affect the provider.</param>
    /// <param name="timeProvider">The clock for row timestamps and checkpoints; the system clock if null.</param>
    /// <exception cref="ArgumentException">An option is missing or out of range.</exception>
    /// <exception cref="CometException">
    /// Unavailable if the file is not a SQLite database, is corrupt, belongs to another application
    /// or cannot be opened or created; Timeout if another process keeps it locked.
    /// </exception>
    public SqliteStorageProvider(SqliteStorageOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.options = options = options.Snapshot();

        try
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(options.DataSource));
            if (!string.IsNullOrEmpty(directory))
                Directory.CreateDirectory(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CometException(CometErrorCode.Unavailable,
                $"Cannot create the directory of the SQLite database '{options.DataSource}': {ex.Message}", ex);
        }

        var connections = new SqliteConnections(options);
        try
        {
            using (var setup = connections.Open())
                SqliteSchema.Initialize(setup, options.DataSource);
            Writer = new SqliteWriter(connections, timeProvider ?? TimeProvider.System);
        }
        catch (SqliteException ex)
        {
            throw SqliteErrors.Map(ex, options);
        }
        readers = new SqliteReadPool(connections);
    }

    /// <summary>
    /// The same as the constructor, for callers that open stores in async code. SQLite opens
    /// synchronously, so this completes before it returns.
    /// </summary>
    public static ValueTask<SqliteStorageProvider> OpenAsync(SqliteStorageOptions options, TimeProvider? timeProvider = null, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        return ValueTask.FromResult(new SqliteStorageProvider(options, timeProvider));
    }

    /// <inheritdoc />
    public string Name => "Sqlite";

    /// <inheritdoc />
    public StorageLimits Limits => options.Limits;

    /// <summary>The database file.</summary>
    public string DataSource => options.DataSource;

    internal SqliteWriter Writer { get; }

    /// <inheritdoc />
    public async ValueTask<IStorageTable> OpenTableAsync(string tableName, CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        RequestChecks.CheckTableName(tableName);
        if (tables.TryGetValue(tableName, out var table))
            return table;

        await tableCatalog.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (!tables.TryGetValue(tableName, out table))
            {
                var (id, name) = Read(tableName, static (session, name) => FindOrAddTable(session.Connection, name));
                table = new SqliteTable(this, id, name);
                tables[tableName] = table;
            }
            return table;
        }
        finally
        {
            tableCatalog.Release();
        }
    }

    /// <summary>
    /// Queues a full checkpoint (<c>PRAGMA wal_checkpoint(TRUNCATE)</c>) behind the writes already
    /// queued, and waits for it. Scheduled checkpoints run every
    /// <see cref="SqliteStorageOptions.CheckpointInterval"/> anyway; this is for operators and tests.
    /// </summary>
    /// <returns>False if readers or another process kept the checkpoint from completing.</returns>
    public async ValueTask<bool> CheckpointAsync(CancellationToken ct = default)
    {
        var result = await Writer.CheckpointAsync(scheduled: false, ct).ConfigureAwait(false);
        return !result.Busy;
    }

    /// <summary>Runs <paramref name="read"/> on a pooled read session; SQLite errors become CometExceptions.</summary>
    internal TResult Read<TState, TResult>(TState state, Func<SqliteReadSession, TState, TResult> read)
    {
        SqliteReadSession session;
        try
        {
            session = readers.Rent();
        }
        catch (SqliteException ex)
        {
            throw SqliteErrors.Map(ex, options);
        }

        TResult result;
        try
        {
            result = read(session, state);
        }
        catch (Exception ex)
        {
            // A session that failed may be mid-statement; never reuse it.
            session.Dispose();
            var mapped = SqliteErrors.Map(ex, options);
            if (ReferenceEquals(mapped, ex))
                throw;
            throw mapped;
        }
        readers.Return(session);
        return result;
    }

    /// <summary>
    /// Looks the table up in the catalog, adding it if new, and returns its id and the name it was
    /// first created with. Runs in autocommit on a read connection: it is rare, and two processes
    /// adding the same name both end up with the one row (the name is UNIQUE, NOCASE).
    /// </summary>
    private static (long Id, string Name) FindOrAddTable(SqliteConnection connection, string name)
    {
        using (var insert = connection.CreateCommand())
        {
            insert.CommandText = "INSERT INTO comet_tables (name) VALUES ($name) ON CONFLICT (name) DO NOTHING;";
            insert.Parameters.AddWithValue("$name", name);
            insert.ExecuteNonQuery();
        }
        using var select = connection.CreateCommand();
        select.CommandText = "SELECT id, name FROM comet_tables WHERE name = $name;";
        select.Parameters.AddWithValue("$name", name);
        using var reader = select.ExecuteReader();
        if (!reader.Read())
            throw new InvalidOperationException($"Table '{name}' vanished from the catalog right after it was added.");
        var found = (reader.GetInt64(0), reader.GetString(1));
        while (reader.Read())
        {
        }
        return found;
    }

    /// <summary>Commits every write already queued, checkpoints the WAL and closes the database.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
            return;
        await Writer.DisposeAsync().ConfigureAwait(false);
        readers.Dispose();
        tableCatalog.Dispose();
    }
}
