using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Comet.Storage.Sqlite;

/// <summary>
/// One read connection with its prepared statements. Sessions are pooled
/// (<see cref="SqliteReadPool"/>) so the statements are prepared once per connection, not per
/// read. In WAL mode readers never wait for the writer.
/// </summary>
internal sealed class SqliteReadSession : IDisposable
{
    private const string Columns = "version, ts, data";

    private readonly SqliteConnection connection;
    private SqliteCommand? pointRead;
    private SqliteCommand? partitionOpen;
    private SqliteCommand? partitionBounded;
    private SqliteCommand? scanOpen;
    private SqliteCommand? scanBounded;

    public SqliteReadSession(SqliteConnection connection) => this.connection = connection;

    public SqliteConnection Connection => connection;

    public StorageRow? Read(long tableId, string partitionKey, string rowKey)
    {
        var command = pointRead ??= Prepare(
            $"SELECT {Columns} FROM comet_rows WHERE table_id = $t AND pk = $pk AND rk = $rk;",
            "$t", "$pk", "$rk");
        command.Parameters[0].Value = tableId;
        command.Parameters[1].Value = SqliteKeys.Encode(partitionKey);
        command.Parameters[2].Value = SqliteKeys.Encode(rowKey);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ToRow(reader, 0, partitionKey, rowKey) : null;
    }

    /// <summary>
    /// Rows of one partition with <c>lower &lt;= rk [&lt; upper]</c>, in order, at most
    /// <paramref name="limit"/>.
    /// </summary>
    public void ReadPartition(long tableId, string partitionKey, byte[] lower, byte[]? upper, int limit, List<StorageRow> into)
    {
        SqliteCommand command;
        if (upper is null)
        {
            command = partitionOpen ??= Prepare(
                $"SELECT rk, {Columns} FROM comet_rows WHERE table_id = $t AND pk = $pk AND rk >= $lo ORDER BY rk LIMIT $n;",
                "$t", "$pk", "$lo", "$n");
        }
        else
        {
            command = partitionBounded ??= Prepare(
                $"SELECT rk, {Columns} FROM comet_rows WHERE table_id = $t AND pk = $pk AND rk >= $lo AND rk < $hi ORDER BY rk LIMIT $n;",
                "$t", "$pk", "$lo", "$n", "$hi");
            command.Parameters[4].Value = upper;
        }
        command.Parameters[0].Value = tableId;
        command.Parameters[1].Value = SqliteKeys.Encode(partitionKey);
        command.Parameters[2].Value = lower;
        command.Parameters[3].Value = limit;
        using var reader = command.ExecuteReader();
        while (reader.Read())
            into.Add(ToRow(reader, 1, partitionKey, SqliteKeys.Decode(reader.GetFieldValue<byte[]>(0))));
    }

    /// <summary>
    /// Rows of every partition at or after (<paramref name="lowerPartition"/>,
    /// <paramref name="lowerRow"/>) whose RowKey is in [<paramref name="from"/>,
    /// <paramref name="to"/>), in order, at most <paramref name="limit"/>.
    /// </summary>
    public void ReadTable(long tableId, byte[] lowerPartition, byte[] lowerRow, byte[] from, byte[]? to, int limit, List<StorageRow> into)
    {
        // A row-value bound: SQLite seeks the primary key straight to (pk, rk), where
        // "pk >= a AND (pk > a OR rk >= b)" would scan partition a from its start on every page.
        const string Range = "table_id = $t AND (pk, rk) >= ($lopk, $lork) AND rk >= $from";
        SqliteCommand command;
        if (to is null)
        {
            command = scanOpen ??= Prepare(
                $"SELECT pk, rk, {Columns} FROM comet_rows WHERE {Range} ORDER BY pk, rk LIMIT $n;",
                "$t", "$lopk", "$lork", "$from", "$n");
        }
        else
        {
            command = scanBounded ??= Prepare(
                $"SELECT pk, rk, {Columns} FROM comet_rows WHERE {Range} AND rk < $to ORDER BY pk, rk LIMIT $n;",
                "$t", "$lopk", "$lork", "$from", "$n", "$to");
            command.Parameters[5].Value = to;
        }
        command.Parameters[0].Value = tableId;
        command.Parameters[1].Value = lowerPartition;
        command.Parameters[2].Value = lowerRow;
        command.Parameters[3].Value = from;
        command.Parameters[4].Value = limit;
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            into.Add(ToRow(reader, 2,
                SqliteKeys.Decode(reader.GetFieldValue<byte[]>(0)),
                SqliteKeys.Decode(reader.GetFieldValue<byte[]>(1))));
        }
    }

    private static StorageRow ToRow(SqliteDataReader reader, int first, string partitionKey, string rowKey)
    {
        var version = reader.GetInt64(first);
        var ticks = reader.GetInt64(first + 1);
        var data = reader.IsDBNull(first + 2) ? [] : reader.GetFieldValue<byte[]>(first + 2);
        return new StorageRow(partitionKey, rowKey, data,
            version.ToString(CultureInfo.InvariantCulture), new DateTimeOffset(ticks, TimeSpan.Zero));
    }

    private SqliteCommand Prepare(string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        return command;
    }

    public void Dispose()
    {
        pointRead?.Dispose();
        partitionOpen?.Dispose();
        partitionBounded?.Dispose();
        scanOpen?.Dispose();
        scanBounded?.Dispose();
        connection.Dispose();
    }
}
