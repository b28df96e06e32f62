namespace Comet.Persistence.Sqlite;

/// <summary>How hard SQLite works to make a commit survive a power failure (<c>PRAGMA synchronous</c>).</summary>
public enum SqliteSynchronousMode
{
    /// <summary>
    /// WAL + <c>synchronous=NORMAL</c>: a commit survives a process crash (kill -9); the last commits
    /// before an OS crash or power loss may roll back, which replication covers.
    /// </summary>
    Normal = 1,

    /// <summary><c>synchronous=FULL</c>: every commit is fsynced before it is acknowledged. Slower.</summary>
    Full = 2,
}
