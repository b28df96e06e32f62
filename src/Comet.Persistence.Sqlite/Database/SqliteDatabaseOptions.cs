using System.Globalization;
using Orleans.Runtime;

namespace Comet.Persistence.Sqlite;

/// <summary>
/// Where the SQLite database file is and how connections to it behave. One file may be shared by
/// every provider of a silo and by several silo processes on one machine.
/// </summary>
public abstract class SqliteDatabaseOptions
{
    /// <summary>Path of the database file (relative paths are resolved against the working directory); the file and its directory are created if missing. Required.</summary>
    public string DataSource { get; set; } = "";

    /// <summary>How long a statement waits for a lock held by another connection or process before it fails (<c>PRAGMA busy_timeout</c>).</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Durability of a commit; see <see cref="SqliteSynchronousMode"/>.</summary>
    public SqliteSynchronousMode Synchronous { get; set; } = SqliteSynchronousMode.Normal;

    /// <summary>Size in bytes the WAL file is truncated to after a checkpoint resets it (<c>PRAGMA journal_size_limit</c>).</summary>
    public long JournalSizeLimit { get; set; } = 64L * 1024 * 1024;

    /// <summary>WAL size in pages at which a commit also checkpoints (<c>PRAGMA wal_autocheckpoint</c>).</summary>
    public int AutoCheckpointPages { get; set; } = 1000;

    /// <summary>
    /// Throws <see cref="OrleansConfigurationException"/> naming the option and what to fix.
    /// <paramref name="owner"/> names the provider in the message (e.g. "grain storage 'replicas'").
    /// </summary>
    internal virtual void Validate(string owner)
    {
        var type = GetType().Name;
        if (string.IsNullOrWhiteSpace(DataSource))
            throw Invalid(owner, $"{type}.{nameof(DataSource)} is required: set it to the path of the SQLite database file, e.g. \"data/comet.db\".");
        var trimmed = DataSource.Trim();
        if (trimmed == ":memory:" || trimmed.StartsWith("file:", StringComparison.OrdinalIgnoreCase) || trimmed.Contains(';', StringComparison.Ordinal))
            throw Invalid(owner, $"{type}.{nameof(DataSource)} '{DataSource}' must be a plain file path (not ':memory:', a 'file:' URI or a connection string): write-ahead logging and sharing between processes need a real file.");
        if (BusyTimeout < TimeSpan.FromMilliseconds(1) || BusyTimeout > TimeSpan.FromMinutes(10))
            throw Invalid(owner, $"{type}.{nameof(BusyTimeout)} is {BusyTimeout}; it must be between 1 ms and 10 min.");
        if (!Enum.IsDefined(Synchronous))
            throw Invalid(owner, $"{type}.{nameof(Synchronous)} is {Synchronous}; it must be Normal or Full.");
        if (JournalSizeLimit < 0)
            throw Invalid(owner, $"{type}.{nameof(JournalSizeLimit)} is {JournalSizeLimit}; it must not be negative.");
        if (AutoCheckpointPages < 1)
            throw Invalid(owner, $"{type}.{nameof(AutoCheckpointPages)} is {AutoCheckpointPages}; it must be positive.");
    }

    /// <summary>The connection settings that make two option sets open the same database the same way.</summary>
    internal string ConnectionIdentity() => string.Create(CultureInfo.InvariantCulture,
        $"{SqliteDatabase.FullPath(DataSource)}|{BusyTimeout.Ticks}|{Synchronous}|{JournalSizeLimit}|{AutoCheckpointPages}");

    private protected static OrleansConfigurationException Invalid(string owner, string message) =>
        new($"Invalid SQLite options for {owner}: {message}");
}
