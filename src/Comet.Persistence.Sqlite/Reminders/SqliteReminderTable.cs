using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Runtime;

namespace Comet.Persistence.Sqlite;

/// <summary>
/// Orleans's reminder table on SQLite. Each reminder row carries its grain's uniform hash in an
/// indexed column, so a silo reads the reminders of its ring range with one index range scan. ETags
/// come from a database-wide counter, so a removed and re-added reminder never gets an old ETag back.
/// </summary>
internal sealed class SqliteReminderTable : IReminderTable, IDisposable
{
    private const string Columns = "grain_id, reminder_name, start_at, period, version";
    private const string VersionCounter = "reminder_version";
    private readonly SqliteSession session;
    private readonly string serviceId;

    public SqliteReminderTable(IOptions<SqliteReminderTableOptions> options, IOptions<ClusterOptions> clusterOptions)
    {
        session = new SqliteSession(options.Value, "the SQLite reminder table", SqliteSchema.Reminders);
        serviceId = clusterOptions.Value.ServiceId;
    }

    public Task StartAsync(CancellationToken cancellationToken = default) => session.OpenAsync();

    public Task<ReminderTableData> ReadRows(GrainId grainId) => session.RunAsync(connection =>
    {
        using var command = SqliteDatabase.Command(connection,
            $"SELECT {Columns} FROM orleans_reminders WHERE service_id = $service AND grain_id = $grain;",
            ("$service", serviceId), ("$grain", grainId.ToString()));
        return ReadAll(command);
    });

    /// <summary>
    /// Reminders whose grain hash is in the ring range (begin, end]; when begin >= end the range wraps
    /// around zero: (begin, 2^32) and [0, end]. (0, 0) is the whole ring.
    /// </summary>
    public Task<ReminderTableData> ReadRows(uint begin, uint end) => session.RunAsync(connection =>
    {
        var condition = begin < end
            ? "grain_hash > $begin AND grain_hash <= $end"
            : "(grain_hash > $begin OR grain_hash <= $end)";
        using var command = SqliteDatabase.Command(connection,
            $"SELECT {Columns} FROM orleans_reminders WHERE service_id = $service AND {condition};",
            ("$service", serviceId), ("$begin", (long)begin), ("$end", (long)end));
        return ReadAll(command);
    });

    public Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName) => session.RunAsync(connection =>
    {
        using var command = SqliteDatabase.Command(connection,
            $"SELECT {Columns} FROM orleans_reminders WHERE service_id = $service AND grain_id = $grain AND reminder_name = $name;",
            ("$service", serviceId), ("$grain", grainId.ToString()), ("$name", reminderName));
        using var reader = command.ExecuteReader();
        var entry = reader.Read() ? Read(reader) : null;
        SqliteDatabase.Drain(reader);
        return entry;
    });

    /// <summary>Inserts or replaces the reminder and returns its new ETag.</summary>
    public Task<string?> UpsertRow(ReminderEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        // Unspecified times are UTC, as Orleans creates them (and as AdoNet's table assumes).
        var startAt = entry.StartAt.Kind == DateTimeKind.Local ? entry.StartAt.ToUniversalTime() : entry.StartAt;
        return session.RunAsync<string?>(connection => SqliteDatabase.Immediate(connection, c =>
        {
            var version = SqliteSchema.Increment(c, VersionCounter, 1);
            using var command = SqliteDatabase.Command(c, """
                INSERT INTO orleans_reminders (service_id, grain_id, reminder_name, grain_hash, start_at, period, version)
                VALUES ($service, $grain, $name, $hash, $start, $period, $version)
                ON CONFLICT (service_id, grain_id, reminder_name) DO UPDATE SET
                    grain_hash = excluded.grain_hash, start_at = excluded.start_at, period = excluded.period, version = excluded.version;
                """,
                ("$service", serviceId), ("$grain", entry.GrainId.ToString()), ("$name", entry.ReminderName),
                ("$hash", (long)entry.GrainId.GetUniformHashCode()), ("$start", startAt.Ticks), ("$period", entry.Period.Ticks), ("$version", version));
            command.ExecuteNonQuery();
            return (true, ETag(version));
        }));
    }

    /// <summary>Removes the reminder if its ETag is still <paramref name="eTag"/>; false if it changed or is gone.</summary>
    public Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag)
    {
        if (!long.TryParse(eTag, NumberStyles.None, CultureInfo.InvariantCulture, out var expected))
            return Task.FromResult(false);
        return session.RunAsync(connection =>
        {
            using var command = SqliteDatabase.Command(connection,
                "DELETE FROM orleans_reminders WHERE service_id = $service AND grain_id = $grain AND reminder_name = $name AND version = $version;",
                ("$service", serviceId), ("$grain", grainId.ToString()), ("$name", reminderName), ("$version", expected));
            return command.ExecuteNonQuery() == 1;
        });
    }

    public Task TestOnlyClearTable() => session.RunAsync(connection =>
    {
        using var command = SqliteDatabase.Command(connection, "DELETE FROM orleans_reminders WHERE service_id = $service;", ("$service", serviceId));
        return command.ExecuteNonQuery();
    });

    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        session.Dispose();
        return Task.CompletedTask;
    }

    public void Dispose() => session.Dispose();

    private static ReminderTableData ReadAll(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        var entries = new List<ReminderEntry>();
        while (reader.Read())
            entries.Add(Read(reader));
        return new ReminderTableData(entries);
    }

    private static ReminderEntry Read(SqliteDataReader reader) => new()
    {
        GrainId = GrainId.Parse(reader.GetString(0)),
        ReminderName = reader.GetString(1),
        StartAt = new DateTime(reader.GetInt64(2), DateTimeKind.Utc),
        Period = TimeSpan.FromTicks(reader.GetInt64(3)),
        ETag = ETag(reader.GetInt64(4)),
    };

    private static string ETag(long version) => version.ToString(CultureInfo.InvariantCulture);
}
