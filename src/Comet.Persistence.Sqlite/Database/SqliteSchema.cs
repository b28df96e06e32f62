using Microsoft.Data.Sqlite;

namespace Comet.Persistence.Sqlite;

/// <summary>
/// The tables, one set per concern, all in one file. Every provider creates its own tables at
/// start-up (idempotently, inside <c>BEGIN IMMEDIATE</c>, so silo processes starting together do not
/// race). Names start with <c>orleans_</c>, so they live beside other tables in the same file.
/// </summary>
internal static class SqliteSchema
{
    /// <summary>Named counters (version epochs, reminder versions); a value is never handed out twice.</summary>
    private const string Counters = """
        CREATE TABLE IF NOT EXISTS orleans_counters (
            name  TEXT    PRIMARY KEY,
            value INTEGER NOT NULL
        ) WITHOUT ROWID;
        """;

    /// <summary>
    /// Grain state. <c>version</c> is the ETag; a NULL payload is a cleared state whose version still
    /// guards against stale writers. <c>WITHOUT ROWID</c>: a point read is one b-tree search.
    /// </summary>
    public const string GrainState = Counters + """
        CREATE TABLE IF NOT EXISTS orleans_grain_state (
            service_id TEXT    NOT NULL,
            state_name TEXT    NOT NULL,
            grain_id   TEXT    NOT NULL,
            version    INTEGER NOT NULL,
            modified   INTEGER NOT NULL,  -- UTC ticks of the last write
            payload    BLOB,
            PRIMARY KEY (service_id, state_name, grain_id)
        ) WITHOUT ROWID;
        """;

    /// <summary>
    /// Membership: one row per silo incarnation (the address includes the generation) and one table
    /// version row per cluster. Each column is a field of <c>MembershipEntry</c>, readable with the
    /// sqlite3 shell; <c>version</c> is the row's ETag.
    /// </summary>
    public const string Membership = """
        CREATE TABLE IF NOT EXISTS orleans_membership_version (
            cluster_id TEXT    PRIMARY KEY,
            version    INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS orleans_membership (
            cluster_id    TEXT    NOT NULL,
            silo_address  TEXT    NOT NULL,  -- SiloAddress.ToParsableString(): ip:port@generation
            status        INTEGER NOT NULL,  -- SiloStatus
            silo_name     TEXT,
            host_name     TEXT,
            proxy_port    INTEGER NOT NULL,
            role_name     TEXT,
            update_zone   INTEGER NOT NULL,
            fault_zone    INTEGER NOT NULL,
            start_time    INTEGER NOT NULL,  -- UTC ticks
            iamalive_time INTEGER NOT NULL,  -- UTC ticks
            suspect_times TEXT,              -- JSON [{"silo": ..., "time": ticks}]
            version       INTEGER NOT NULL,
            PRIMARY KEY (cluster_id, silo_address)
        ) WITHOUT ROWID;
        """;

    /// <summary>Reminders of a service; <c>grain_hash</c> (the grain's uniform hash) serves the ring range reads.</summary>
    public const string Reminders = Counters + """
        CREATE TABLE IF NOT EXISTS orleans_reminders (
            service_id    TEXT    NOT NULL,
            grain_id      TEXT    NOT NULL,
            reminder_name TEXT    NOT NULL,
            grain_hash    INTEGER NOT NULL,  -- GrainId.GetUniformHashCode(), 0..2^32-1
            start_at      INTEGER NOT NULL,  -- UTC ticks
            period        INTEGER NOT NULL,  -- ticks
            version       INTEGER NOT NULL,
            PRIMARY KEY (service_id, grain_id, reminder_name)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS orleans_reminders_by_hash ON orleans_reminders (service_id, grain_hash);
        """;

    /// <summary>Creates <paramref name="ddl"/>'s tables if missing.</summary>
    public static void Ensure(SqliteConnection connection, string ddl)
    {
        SqliteDatabase.Immediate(connection, c =>
        {
            SqliteDatabase.Execute(c, ddl);
            return (true, 0);
        });
    }

    /// <summary>Adds <paramref name="count"/> to counter <paramref name="name"/> and returns its new value; call inside a write transaction.</summary>
    public static long Increment(SqliteConnection connection, string name, long count)
    {
        using var command = SqliteDatabase.Command(connection,
            "INSERT INTO orleans_counters (name, value) VALUES ($name, $count) ON CONFLICT (name) DO UPDATE SET value = value + $count;",
            ("$name", name), ("$count", count));
        command.ExecuteNonQuery();
        using var read = SqliteDatabase.Command(connection, "SELECT value FROM orleans_counters WHERE name = $name;", ("$name", name));
        using var reader = read.ExecuteReader();
        var value = reader.Read() ? reader.GetInt64(0) : throw new InvalidOperationException($"Counter '{name}' is missing.");
        SqliteDatabase.Drain(reader);
        return value;
    }
}
