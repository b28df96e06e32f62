namespace Comet.Storage.Sqlite;

/// <summary>The address of one row, encoded for SQLite, with its text kept for messages.</summary>
internal readonly record struct SqliteRowAddress(long TableId, string PartitionKey, string RowKey, byte[] Pk, byte[] Rk)
{
    public static SqliteRowAddress Of(long tableId, string partitionKey, string rowKey) =>
        new(tableId, partitionKey, rowKey, SqliteKeys.Encode(partitionKey), SqliteKeys.Encode(rowKey));
}
