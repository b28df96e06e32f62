namespace Comet.Storage.Sqlite;

/// <summary>
/// Idle read sessions, handed out one per read and returned after. Grows with concurrent readers
/// and keeps at most <see cref="SqliteStorageOptions.ReadConnectionPoolSize"/> idle.
/// </summary>
internal sealed class SqliteReadPool(SqliteConnections connections) : IDisposable
{
    private readonly Lock gate = new();
    private readonly Stack<SqliteReadSession> idle = new();
    private bool disposed;

    public SqliteReadSession Rent()
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (idle.TryPop(out var session))
                return session;
        }
        return new SqliteReadSession(connections.Open());
    }

    /// <summary>Returns a session after a successful read; a session that failed is disposed instead.</summary>
    public void Return(SqliteReadSession session)
    {
        lock (gate)
        {
            if (!disposed && idle.Count < connections.Options.ReadConnectionPoolSize)
            {
                idle.Push(session);
                return;
            }
        }
        session.Dispose();
    }

    public void Dispose()
    {
        lock (gate)
        {
            disposed = true;
            while (idle.TryPop(out var session))
                session.Dispose();
        }
    }
}
