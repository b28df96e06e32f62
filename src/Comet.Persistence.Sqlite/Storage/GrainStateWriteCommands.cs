using Microsoft.Data.Sqlite;

namespace Comet.Persistence.Sqlite;

/// <summary>
/// The writer connection's prepared statements. Each write is one conditional statement: the version
/// check is in its WHERE (or its ON CONFLICT), so a stale write changes 0 rows, whichever process runs
/// it, and never half a row. No statement uses RETURNING, and every reader is read to the end: a
/// statement left mid-way keeps its read transaction open and stops checkpoints resetting the WAL.
/// </summary>
internal sealed class GrainStateWriteCommands : IDisposable
{
    private readonly List<SqliteCommand> all = [];
    private readonly SqliteCommand begin;
    private readonly SqliteCommand commit;
    private readonly SqliteCommand rollback;
    private readonly SqliteCommand insert;
    private readonly SqliteCommand update;
    private readonly SqliteCommand deleteIfVersion;
    private readonly SqliteCommand readVersion;

    public GrainStateWriteCommands(SqliteConnection connection)
    {
        Connection = connection;
        // IMMEDIATE takes the write lock up front: a transaction never upgrades from read to write.
        begin = Prepare("BEGIN IMMEDIATE;");
        commit = Prepare("COMMIT;");
        rollback = Prepare("ROLLBACK;");
        insert = Prepare("""
            INSERT INTO orleans_grain_state (service_id, state_name, grain_id, version, modified, payload) VALUES ($s, $n, $g, $v, $t, $p)
            ON CONFLICT (service_id, state_name, grain_id) DO NOTHING;
            """, "$s", "$n", "$g", "$v", "$t", "$p");
        update = Prepare("""
            UPDATE orleans_grain_state SET version = $v, modified = $t, payload = $p
            WHERE service_id = $s AND state_name = $n AND grain_id = $g AND version = $expected;
            """, "$s", "$n", "$g", "$v", "$t", "$p", "$expected");
        deleteIfVersion = Prepare(
            "DELETE FROM orleans_grain_state WHERE service_id = $s AND state_name = $n AND grain_id = $g AND version = $expected;",
            "$s", "$n", "$g", "$expected");
        readVersion = Prepare(
            "SELECT version FROM orleans_grain_state WHERE service_id = $s AND state_name = $n AND grain_id = $g;",
            "$s", "$n", "$g");
    }

    public SqliteConnection Connection { get; }

    public void Begin() => begin.ExecuteNonQuery();

    public void Commit() => commit.ExecuteNonQuery();

    /// <summary>Rolls back if a transaction is still open (SQLite ends it by itself after some errors).</summary>
    public void RollbackIfOpen()
    {
        try
        {
            if (SqliteDatabase.InTransaction(Connection))
                rollback.ExecuteNonQuery();
        }
        catch (SqliteException)
        {
            // The original failure is the one to report.
        }
    }

    /// <summary>Inserts the row unless one exists; false if it existed.</summary>
    public bool Insert(in GrainStateKey key, long version, long ticks, byte[] payload)
    {
        Bind(insert, key);
        insert.Parameters[3].Value = version;
        insert.Parameters[4].Value = ticks;
        insert.Parameters[5].Value = payload;
        return insert.ExecuteNonQuery() == 1;
    }

    /// <summary>Replaces the row (a null payload clears it) if its version is <paramref name="expected"/>; false otherwise.</summary>
    public bool Update(in GrainStateKey key, long version, long ticks, byte[]? payload, long expected)
    {
        Bind(update, key);
        update.Parameters[3].Value = version;
        update.Parameters[4].Value = ticks;
        update.Parameters[5].Value = (object?)payload ?? DBNull.Value;
        update.Parameters[6].Value = expected;
        return update.ExecuteNonQuery() == 1;
    }

    public bool DeleteIfVersion(in GrainStateKey key, long expected)
    {
        Bind(deleteIfVersion, key);
        deleteIfVersion.Parameters[3].Value = expected;
        return deleteIfVersion.ExecuteNonQuery() == 1;
    }

    /// <summary>The row's version, or null if there is no row (to report a conflict).</summary>
    public long? ReadVersion(in GrainStateKey key)
    {
        using var reader = Bind(readVersion, key).ExecuteReader();
        long? version = reader.Read() ? reader.GetInt64(0) : null;
        SqliteDatabase.Drain(reader);
        return version;
    }

    private static SqliteCommand Bind(SqliteCommand command, in GrainStateKey key)
    {
        command.Parameters[0].Value = key.ServiceId;
        command.Parameters[1].Value = key.StateName;
        command.Parameters[2].Value = key.GrainId;
        return command;
    }

    private SqliteCommand Prepare(string sql, params string[] parameters)
    {
        var command = Connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        all.Add(command);
        return command;
    }

    public void Dispose()
    {
        foreach (var command in all)
            command.Dispose();
        all.Clear();
    }
}
