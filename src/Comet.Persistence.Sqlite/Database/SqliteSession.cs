using Microsoft.Data.Sqlite;

namespace Comet.Persistence.Sqlite;

/// <summary>
/// One connection for a low-rate provider (membership, gateways, reminders): operations take turns
/// on it and run on the thread pool, so a statement waiting for another process's lock never blocks
/// an Orleans scheduler thread. The connection is opened, and the provider's tables created, on first use.
/// </summary>
internal sealed class SqliteSession(SqliteDatabaseOptions options, string owner, string ddl) : IDisposable
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private SqliteConnection? connection;
    private bool disposed;

    public SqliteDatabaseOptions Options => options;

    /// <summary>Opens the database and creates the tables now, so a bad path fails at start-up.</summary>
    public Task OpenAsync() => RunAsync(static _ => 0);

    /// <summary>Runs <paramref name="work"/> on the connection; SQLite failures come back as <see cref="SqliteStoreException"/>.</summary>
    public Task<T> RunAsync<T>(Func<SqliteConnection, T> work) => Task.Run(async () =>
    {
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (connection is null)
            {
                var opened = SqliteDatabase.Open(options, owner);
                try
                {
                    SqliteSchema.Ensure(opened, ddl);
                }
                catch
                {
                    opened.Dispose();
                    throw;
                }
                connection = opened;
            }
            return work(connection);
        }
        catch (Exception ex)
        {
            throw SqliteErrors.Map(ex, options, owner);
        }
        finally
        {
            gate.Release();
        }
    });

    public void Dispose()
    {
        gate.Wait();
        try
        {
            disposed = true;
            connection?.Dispose();
            connection = null;
        }
        finally
        {
            gate.Release();
        }
    }
}
