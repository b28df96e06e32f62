namespace Comet.Storage.Sqlite;

/// <summary>The state of the writer's open transaction that each write uses.</summary>
internal sealed class SqliteWriteContext(SqliteWriteCommands commands, SqliteVersions versions, long ticks)
{
    public SqliteWriteCommands Commands { get; } = commands;

    /// <summary>The commit time every row of this transaction gets as its Timestamp (UTC ticks).</summary>
    public long Ticks { get; } = ticks;

    public long NextVersion() => versions.Next();
}
