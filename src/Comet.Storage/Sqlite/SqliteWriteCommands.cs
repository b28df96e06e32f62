using Microsoft.Data.Sqlite;

namespace Comet.Storage.Sqlite;

/// <summary>
/// The writer connection's prepared statements. Every statement runs through ExecuteNonQuery or a
/// reader read to the end: a statement left mid-way keeps its read transaction open, which stops
/// checkpoints from resetting the WAL (DESIGN.md's 433 MB WAL came from ExecuteScalar on an
/// upsert with RETURNING). No statement uses RETURNING; the writer picks versions itself (<see cref="SqliteVersions"/>).
/// </summary>
internal sealed class SqliteWriteCommands : IDisposable
{
    private readonly SqliteConnection connection;
    private readonly List<SqliteCommand> all = [];

    private readonly SqliteCommand begin;
    private readonly SqliteCommand commit;
    private readonly SqliteCommand rollback;
    private readonly SqliteCommand savepoint;
    private readonly SqliteCommand rollbackToSavepoint;
    private readonly SqliteCommand releaseSavepoint;
    private readonly SqliteCommand bumpEpoch;
    private readonly SqliteCommand readEpoch;
    private readonly SqliteCommand upsert;
    private readonly SqliteCommand insert;
    private readonly SqliteCommand update;
    private readonly SqliteCommand delete;
    private readonly SqliteCommand deleteIfVersion;
    private readonly SqliteCommand exists;
    private readonly SqliteCommand checkpoint;

    public SqliteWriteCommands(SqliteConnection connection)
    {
        this.connection = connection;
        // IMMEDIATE takes the write lock up front: a transaction never upgrades from read to
        // write, so two processes cannot deadlock or hit SQLITE_BUSY_SNAPSHOT mid-transaction.
        begin = Prepare("BEGIN IMMEDIATE;");
        commit = Prepare("COMMIT;");
        rollback = Prepare("ROLLBACK;");
        savepoint = Prepare("SAVEPOINT batch;");
        rollbackToSavepoint = Prepare("ROLLBACK TO batch;");
        releaseSavepoint = Prepare("RELEASE batch;");
        bumpEpoch = Prepare("UPDATE comet_meta SET value = value + 1 WHERE key = 'last_epoch';");
        readEpoch = Prepare("SELECT value FROM comet_meta WHERE key = 'last_epoch';");
        upsert = Prepare("""
            INSERT INTO comet_rows (table_id, pk, rk, version, ts, data) VALUES ($t, $pk, $rk, $v, $ts, $data)
            ON CONFLICT (table_id, pk, rk) DO UPDATE SET version = excluded.version, ts = excluded.ts, data = excluded.data;
            """, "$t", "$pk", "$rk", "$v", "$ts", "$data");
        insert = Prepare("""
            INSERT INTO comet_rows (table_id, pk, rk, version, ts, data) VALUES ($t, $pk, $rk, $v, $ts, $data)
            ON CONFLICT (table_id, pk, rk) DO NOTHING;
            """, "$t", "$pk", "$rk", "$v", "$ts", "$data");
        // The version check is in the WHERE: a stale write changes 0 rows, whichever process runs it.
        update = Prepare("""
            UPDATE comet_rows SET version = $v, ts = $ts, data = $data
            WHERE table_id = $t AND pk = $pk AND rk = $rk AND version = $expected;
            """, "$t", "$pk", "$rk", "$v", "$ts", "$data", "$expected");
        delete = Prepare("DELETE FROM comet_rows WHERE table_id = $t AND pk = $pk AND rk = $rk;", "$t", "$pk", "$rk");
        deleteIfVersion = Prepare(
            "DELETE FROM comet_rows WHERE table_id = $t AND pk = $pk AND rk = $rk AND version = $expected;",
            "$t", "$pk", "$rk", "$expected");
        exists = Prepare("SELECT 1 FROM comet_rows WHERE table_id = $t AND pk = $pk AND rk = $rk;", "$t", "$pk", "$rk");
        checkpoint = Prepare("PRAGMA wal_checkpoint(TRUNCATE);");
    }

    public SqliteConnection Connection => connection;

    /// <summary>True while a transaction is open on the writer connection.</summary>
    public bool InTransaction => SQLitePCL.raw.sqlite3_get_autocommit(connection.Handle) == 0;

    public void Begin() => begin.ExecuteNonQuery();

    public void Commit() => commit.ExecuteNonQuery();

    /// <summary>Rolls back if a transaction is still open (SQLite ends it by itself after some errors).</summary>
    public void RollbackIfOpen()
    {
        if (InTransaction)
            rollback.ExecuteNonQuery();
    }

    public void Savepoint() => savepoint.ExecuteNonQuery();

    public void RollbackToSavepoint()
    {
        rollbackToSavepoint.ExecuteNonQuery();
        releaseSavepoint.ExecuteNonQuery();
    }

    public void ReleaseSavepoint() => releaseSavepoint.ExecuteNonQuery();

    /// <summary>Takes the next epoch for this writer's versions; runs inside a transaction.</summary>
    public long ReserveEpoch()
    {
        bumpEpoch.ExecuteNonQuery();
        using var reader = readEpoch.ExecuteReader();
        var epoch = reader.Read() ? reader.GetInt64(0) : throw new InvalidOperationException("comet_meta has no last_epoch row.");
        while (reader.Read())
        {
        }
        return epoch;
    }

    public void Upsert(long tableId, byte[] pk, byte[] rk, long version, long ticks, byte[] data) =>
        BindRow(upsert, tableId, pk, rk, version, ticks, data).ExecuteNonQuery();

    /// <summary>Inserts the row unless it exists; false if it existed.</summary>
    public bool Insert(long tableId, byte[] pk, byte[] rk, long version, long ticks, byte[] data) =>
        BindRow(insert, tableId, pk, rk, version, ticks, data).ExecuteNonQuery() == 1;

    /// <summary>Replaces the row if its version is <paramref name="expected"/>; false otherwise.</summary>
    public bool Update(long tableId, byte[] pk, byte[] rk, long version, long ticks, byte[] data, long expected)
    {
        BindRow(update, tableId, pk, rk, version, ticks, data);
        update.Parameters[6].Value = expected;
        return update.ExecuteNonQuery() == 1;
    }

    public bool Delete(long tableId, byte[] pk, byte[] rk) => BindKey(delete, tableId, pk, rk).ExecuteNonQuery() == 1;

    public bool DeleteIfVersion(long tableId, byte[] pk, byte[] rk, long expected)
    {
        BindKey(deleteIfVersion, tableId, pk, rk);
        deleteIfVersion.Parameters[3].Value = expected;
        return deleteIfVersion.ExecuteNonQuery() == 1;
    }

    public bool Exists(long tableId, byte[] pk, byte[] rk)
    {
        using var reader = BindKey(exists, tableId, pk, rk).ExecuteReader();
        var found = reader.Read();
        while (reader.Read())
        {
        }
        return found;
    }

    /// <summary>Runs <c>PRAGMA wal_checkpoint(TRUNCATE)</c>; SQLite reports "busy" in the result, not as an error.</summary>
    public SqliteCheckpointResult Checkpoint()
    {
        using var reader = checkpoint.ExecuteReader();
        var result = reader.Read()
            ? new SqliteCheckpointResult(reader.GetInt64(0) != 0, reader.GetInt64(1), reader.GetInt64(2))
            : new SqliteCheckpointResult(false, 0, 0);
        while (reader.Read())
        {
        }
        return result;
    }

    private static SqliteCommand BindKey(SqliteCommand command, long tableId, byte[] pk, byte[] rk)
    {
        command.Parameters[0].Value = tableId;
        command.Parameters[1].Value = pk;
        command.Parameters[2].Value = rk;
        return command;
    }

    private static SqliteCommand BindRow(SqliteCommand command, long tableId, byte[] pk, byte[] rk, long version, long ticks, byte[] data)
    {
        BindKey(command, tableId, pk, rk);
        command.Parameters[3].Value = version;
        command.Parameters[4].Value = ticks;
        command.Parameters[5].Value = data;
        return command;
    }

    private SqliteCommand Prepare(string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
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

/// <summary>What a WAL checkpoint did.</summary>
/// <param name="Busy">True if readers or another writer kept it from finishing; it is retried later.</param>
/// <param name="WalFrames">Frames in the WAL when it ran (0 after a complete TRUNCATE).</param>
/// <param name="CheckpointedFrames">Frames copied into the database file.</param>
internal readonly record struct SqliteCheckpointResult(bool Busy, long WalFrames, long CheckpointedFrames);
