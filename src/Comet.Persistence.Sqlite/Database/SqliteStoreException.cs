namespace Comet.Persistence.Sqlite;

/// <summary>
/// A SQLite provider could not use its database. The message names the file and says what to fix;
/// <see cref="Error"/> tells retryable failures (<see cref="SqliteStoreError.Busy"/>) from the rest.
/// </summary>
public sealed class SqliteStoreException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SqliteStoreException(SqliteStoreError error, string dataSource, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
        DataSource = dataSource;
    }

    /// <summary>Creates the exception with a message only (for serializers).</summary>
    public SqliteStoreException()
        : this(SqliteStoreError.Failed, "", "SQLite store failure.")
    {
    }

    /// <summary>Creates the exception with a message only (for serializers).</summary>
    public SqliteStoreException(string message)
        : this(SqliteStoreError.Failed, "", message)
    {
    }

    /// <summary>Creates the exception with a message and cause (for serializers).</summary>
    public SqliteStoreException(string message, Exception innerException)
        : this(SqliteStoreError.Failed, "", message, innerException)
    {
    }

    /// <summary>The kind of failure.</summary>
    public SqliteStoreError Error { get; }

    /// <summary>The full path of the database file.</summary>
    public string DataSource { get; }
}
