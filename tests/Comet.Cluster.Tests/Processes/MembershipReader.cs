using System.Globalization;
using Microsoft.Data.Sqlite;
using Orleans.Runtime;

namespace Comet.Cluster.Tests.Processes;

/// <summary>One silo incarnation's row of the Orleans membership table the silos share.</summary>
internal sealed record MembershipRow(string Name, string Address, int Generation, SiloStatus Status, DateTime IAmAlive);

/// <summary>
/// Reads the cluster's membership table (<c>orleans_membership</c>) straight from the shared SQLite file: the
/// cluster's own record of who is Active and who was declared Dead, independent of any silo being reachable.
/// </summary>
internal sealed class MembershipReader(string database, string clusterId = "comet")
{
    private readonly string _connection = new SqliteConnectionStringBuilder
    {
        DataSource = database,
        Mode = SqliteOpenMode.ReadWrite,
        Pooling = false,
        DefaultTimeout = 5,
    }.ToString();

    public async Task<IReadOnlyList<MembershipRow>> ReadAsync()
    {
        if (!File.Exists(database)) return [];
        await using var connection = new SqliteConnection(_connection);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT silo_name, silo_address, status, iamalive_time FROM orleans_membership WHERE cluster_id = $cluster;";
        command.Parameters.AddWithValue("$cluster", clusterId);
        var rows = new List<MembershipRow>();
        try
        {
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var address = reader.GetString(1);
                var generation = int.Parse(address[(address.LastIndexOf('@') + 1)..], CultureInfo.InvariantCulture);
                rows.Add(new MembershipRow(reader.IsDBNull(0) ? "" : reader.GetString(0), address, generation, (SiloStatus)reader.GetInt32(2),
                    new DateTime(reader.GetInt64(3), DateTimeKind.Utc)));
            }
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == 1 && ex.Message.Contains("no such table", StringComparison.Ordinal))
        {
            // No silo has created the table yet.
        }
        return rows;
    }

    /// <summary>The newest incarnation of <paramref name="name"/> (highest generation), or null.</summary>
    public async Task<MembershipRow?> NewestAsync(string name) =>
        (await ReadAsync()).Where(r => r.Name == name).OrderByDescending(r => r.Generation).FirstOrDefault();

    /// <summary>The row of one incarnation, by its address.</summary>
    public async Task<MembershipRow?> RowAsync(string address) => (await ReadAsync()).FirstOrDefault(r => r.Address == address);
}
