using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService;

namespace Comet.Persistence.Sqlite;

/// <summary>
/// Orleans's membership table on SQLite. Every conditional change (insert, update) checks the table
/// version and the row's ETag, writes the row and bumps the version in one <c>BEGIN IMMEDIATE</c>
/// transaction, so of several silos (in any process) racing with the same versions exactly one wins.
/// </summary>
internal sealed partial class SqliteMembershipTable : IMembershipTable, IDisposable
{
    private const string Owner = "the SQLite membership table";
    private readonly SqliteSession session;
    private readonly string clusterId;
    private readonly ILogger logger;

    public SqliteMembershipTable(IOptions<SqliteClusteringOptions> options, IOptions<ClusterOptions> clusterOptions, ILogger<SqliteMembershipTable> logger)
    {
        session = new SqliteSession(options.Value, Owner, SqliteSchema.Membership);
        clusterId = clusterOptions.Value.ClusterId;
        this.logger = logger;
    }

    public async Task InitializeMembershipTable(bool tryInitTableVersion)
    {
        await session.RunAsync(connection =>
        {
            if (tryInitTableVersion)
            {
                using var command = SqliteDatabase.Command(connection,
                    "INSERT INTO orleans_membership_version (cluster_id, version) VALUES ($cluster, 0) ON CONFLICT (cluster_id) DO NOTHING;",
                    ("$cluster", clusterId));
                command.ExecuteNonQuery();
            }
            return 0;
        }).ConfigureAwait(false);
        LogInitialized(logger, clusterId, session.Options.DataSource);
    }

    public Task DeleteMembershipTableEntries(string clusterId) => session.RunAsync(connection => SqliteDatabase.Immediate(connection, c =>
    {
        using var rows = SqliteDatabase.Command(c, "DELETE FROM orleans_membership WHERE cluster_id = $cluster;", ("$cluster", clusterId));
        rows.ExecuteNonQuery();
        using var version = SqliteDatabase.Command(c, "DELETE FROM orleans_membership_version WHERE cluster_id = $cluster;", ("$cluster", clusterId));
        version.ExecuteNonQuery();
        return (true, 0);
    }));

    /// <summary>
    /// Deletes entries of silos that are not Active and were last alive (or started) before
    /// <paramref name="beforeDate"/>. The table version is left alone, as Orleans's own tables do:
    /// the rows are of dead silos nobody is voting on.
    /// </summary>
    public async Task CleanupDefunctSiloEntries(DateTimeOffset beforeDate)
    {
        var deleted = await session.RunAsync(connection =>
        {
            using var command = SqliteDatabase.Command(connection,
                "DELETE FROM orleans_membership WHERE cluster_id = $cluster AND status <> $active AND max(start_time, iamalive_time) < $before;",
                ("$cluster", clusterId), ("$active", (int)SiloStatus.Active), ("$before", beforeDate.UtcTicks));
            return command.ExecuteNonQuery();
        }).ConfigureAwait(false);
        LogCleanedUp(logger, deleted, clusterId, beforeDate);
    }

    public Task<MembershipTableData> ReadRow(SiloAddress key) => session.RunAsync(connection => ReadSnapshot(connection, key));

    public Task<MembershipTableData> ReadAll() => session.RunAsync(connection => ReadSnapshot(connection, null));

    public async Task<bool> InsertRow(MembershipEntry entry, TableVersion tableVersion)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(tableVersion);
        var inserted = await session.RunAsync(connection => SqliteDatabase.Immediate(connection, c =>
        {
            if (!VersionMatches(c, tableVersion))
                return (false, false);
            using var insert = c.CreateCommand();
            insert.CommandText = $"""
                INSERT INTO orleans_membership (cluster_id, {MembershipRow.Columns})
                VALUES ($cluster, $silo, $status, $silo_name, $host_name, $proxy_port, $role_name, $update_zone, $fault_zone, $start_time, $iamalive_time, $suspect_times, 1)
                ON CONFLICT (cluster_id, silo_address) DO NOTHING;
                """;
            insert.Parameters.AddWithValue("$cluster", clusterId);
            MembershipRow.Bind(insert, entry);
            if (insert.ExecuteNonQuery() == 0)
                return (false, false);
            WriteVersion(c, tableVersion);
            return (true, true);
        })).ConfigureAwait(false);
        if (!inserted)
            LogInsertRejected(logger, entry.SiloAddress, tableVersion);
        return inserted;
    }

    public async Task<bool> UpdateRow(MembershipEntry entry, string etag, TableVersion tableVersion)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(tableVersion);
        var updated = MembershipRow.ParseETag(etag) is { } expected && await session.RunAsync(connection => SqliteDatabase.Immediate(connection, c =>
        {
            if (!VersionMatches(c, tableVersion))
                return (false, false);
            using var update = c.CreateCommand();
            update.CommandText = """
                UPDATE orleans_membership SET
                    status = $status, silo_name = $silo_name, host_name = $host_name, proxy_port = $proxy_port,
                    role_name = $role_name, update_zone = $update_zone, fault_zone = $fault_zone, start_time = $start_time,
                    iamalive_time = $iamalive_time, suspect_times = $suspect_times, version = version + 1
                WHERE cluster_id = $cluster AND silo_address = $silo AND version = $expected;
                """;
            update.Parameters.AddWithValue("$cluster", clusterId);
            update.Parameters.AddWithValue("$expected", expected);
            MembershipRow.Bind(update, entry);
            if (update.ExecuteNonQuery() == 0)
                return (false, false);
            WriteVersion(c, tableVersion);
            return (true, true);
        })).ConfigureAwait(false);
        if (!updated)
            LogUpdateRejected(logger, entry.SiloAddress, etag, tableVersion);
        return updated;
    }

    /// <summary>Writes only the IAmAlive time: neither the row's ETag nor the table version changes.</summary>
    public async Task UpdateIAmAlive(MembershipEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var updated = await session.RunAsync(connection =>
        {
            using var command = SqliteDatabase.Command(connection,
                "UPDATE orleans_membership SET iamalive_time = $time WHERE cluster_id = $cluster AND silo_address = $silo;",
                ("$time", MembershipRow.Ticks(entry.IAmAliveTime)), ("$cluster", clusterId), ("$silo", MembershipRow.Key(entry.SiloAddress)));
            return command.ExecuteNonQuery();
        }).ConfigureAwait(false);
        if (updated == 0)
            throw new OrleansMissingMembershipEntryException($"The SQLite membership table of cluster '{clusterId}' has no entry for silo {entry.SiloAddress}; its IAmAlive time was not written.");
    }

    /// <summary>The table version and the rows in one read transaction, so they are from the same moment.</summary>
    private MembershipTableData ReadSnapshot(SqliteConnection connection, SiloAddress? only)
    {
        SqliteDatabase.Execute(connection, "BEGIN;");
        try
        {
            var version = ReadVersion(connection);
            var rows = new List<Tuple<MembershipEntry, string>>();
            using (var select = connection.CreateCommand())
            {
                select.CommandText = only is null
                    ? $"SELECT {MembershipRow.Columns} FROM orleans_membership WHERE cluster_id = $cluster;"
                    : $"SELECT {MembershipRow.Columns} FROM orleans_membership WHERE cluster_id = $cluster AND silo_address = $silo;";
                select.Parameters.AddWithValue("$cluster", clusterId);
                if (only is not null)
                    select.Parameters.AddWithValue("$silo", MembershipRow.Key(only));
                using var reader = select.ExecuteReader();
                while (reader.Read())
                    rows.Add(MembershipRow.Read(reader));
            }
            SqliteDatabase.Execute(connection, "COMMIT;");
            var tableVersion = new TableVersion(checked((int)version), MembershipRow.ETag(version));
            return new MembershipTableData(rows, tableVersion);
        }
        catch
        {
            SqliteDatabase.RollbackIfOpen(connection);
            throw;
        }
    }

    /// <summary>The stored table version; a cluster whose version row is missing is at version 0.</summary>
    private long ReadVersion(SqliteConnection connection)
    {
        using var command = SqliteDatabase.Command(connection, "SELECT version FROM orleans_membership_version WHERE cluster_id = $cluster;", ("$cluster", clusterId));
        using var reader = command.ExecuteReader();
        var version = reader.Read() ? reader.GetInt64(0) : 0;
        SqliteDatabase.Drain(reader);
        return version;
    }

    /// <summary>
    /// A change is accepted only from a caller that read the current table version: it passes that
    /// version's <c>Next()</c> (number + 1, same ETag).
    /// </summary>
    private bool VersionMatches(SqliteConnection connection, TableVersion proposed)
    {
        var stored = ReadVersion(connection);
        return proposed.Version == stored + 1 && MembershipRow.ParseETag(proposed.VersionEtag) == stored;
    }

    private void WriteVersion(SqliteConnection connection, TableVersion version)
    {
        using var command = SqliteDatabase.Command(connection,
            "INSERT INTO orleans_membership_version (cluster_id, version) VALUES ($cluster, $version) ON CONFLICT (cluster_id) DO UPDATE SET version = excluded.version;",
            ("$cluster", clusterId), ("$version", (long)version.Version));
        command.ExecuteNonQuery();
    }

    public void Dispose() => session.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "SQLite membership table of cluster {ClusterId} ready in {DataSource}")]
    private static partial void LogInitialized(ILogger logger, string clusterId, string dataSource);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Removed {Count} defunct silo entries of cluster {ClusterId} older than {BeforeDate}")]
    private static partial void LogCleanedUp(ILogger logger, int count, string clusterId, DateTimeOffset beforeDate);

    [LoggerMessage(Level = LogLevel.Debug, Message = "InsertRow of {Silo} rejected: table version {TableVersion} is stale or the entry exists")]
    private static partial void LogInsertRejected(ILogger logger, SiloAddress silo, TableVersion tableVersion);

    [LoggerMessage(Level = LogLevel.Debug, Message = "UpdateRow of {Silo} rejected: ETag {ETag} or table version {TableVersion} is stale")]
    private static partial void LogUpdateRejected(ILogger logger, SiloAddress silo, string etag, TableVersion tableVersion);
}
