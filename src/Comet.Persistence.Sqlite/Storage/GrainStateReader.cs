using Microsoft.Data.Sqlite;

namespace Comet.Persistence.Sqlite;

/// <summary>A stored grain state: its version (the ETag) and payload (null once cleared).</summary>
internal readonly record struct StoredGrainState(long Version, byte[]? Payload);

/// <summary>
/// Point reads of grain states through a pool of read connections, each with its SELECT prepared
/// once. In WAL mode a read never waits for the writer, so reads run inline on the caller's thread.
/// The pool grows with concurrent readers and keeps at most
/// <see cref="SqliteGrainStorageOptions.ReadConnectionPoolSize"/> idle.
/// </summary>
internal sealed class GrainStateReader(SqliteGrainStorageOptions options, string owner) : IDisposable
{
    private readonly Lock gate = new();
    private readonly Stack<Session> idle = new();
    private bool disposed;

    /// <summary>The stored state of <paramref name="key"/>, or null if there is no row.</summary>
    public StoredGrainState? Read(in GrainStateKey key)
    {
        var session = Rent();
        StoredGrainState? state;
        try
        {
            state = session.Read(key);
        }
        catch (Exception ex)
        {
            session.Dispose();
            throw SqliteErrors.Map(ex, options, owner);
        }
        Return(session);
        return state;
    }

    private Session Rent()
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (idle.TryPop(out var session))
                return session;
        }
        return new Session(SqliteDatabase.Open(options, owner));
    }

    private void Return(Session session)
    {
        lock (gate)
        {
            if (!disposed && idle.Count < options.ReadConnectionPoolSize)
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

    private sealed class Session : IDisposable
    {
        private readonly SqliteConnection connection;
        private readonly SqliteCommand select;

        public Session(SqliteConnection connection)
        {
            this.connection = connection;
            select = connection.CreateCommand();
            select.CommandText = "SELECT version, payload FROM orleans_grain_state WHERE service_id = $s AND state_name = $n AND grain_id = $g;";
            select.Parameters.Add(new SqliteParameter { ParameterName = "$s" });
            select.Parameters.Add(new SqliteParameter { ParameterName = "$n" });
            select.Parameters.Add(new SqliteParameter { ParameterName = "$g" });
        }

        public StoredGrainState? Read(in GrainStateKey key)
        {
            select.Parameters[0].Value = key.ServiceId;
            select.Parameters[1].Value = key.StateName;
            select.Parameters[2].Value = key.GrainId;
            using var reader = select.ExecuteReader();
            StoredGrainState? state = null;
            if (reader.Read())
                state = new StoredGrainState(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<byte[]>(1));
            SqliteDatabase.Drain(reader);
            return state;
        }

        public void Dispose()
        {
            select.Dispose();
            connection.Dispose();
        }
    }
}
