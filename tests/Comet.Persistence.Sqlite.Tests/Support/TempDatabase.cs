using Microsoft.Data.Sqlite;

namespace Comet.Persistence.Sqlite.Tests;

/// <summary>A database file in a directory of its own, deleted (with its WAL and shared-memory files) on dispose.</summary>
public sealed class TempDatabase : IDisposable
{
    public TempDatabase()
    {
        Directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "comet-sqlite-tests", Guid.NewGuid().ToString("N"));
        Path = System.IO.Path.Combine(Directory, "comet.db");
    }

    public string Directory { get; }

    /// <summary>The database file; its directory does not exist until a provider creates it.</summary>
    public string Path { get; }

    /// <summary>Runs <c>PRAGMA integrity_check</c> on its own connection.</summary>
    public string IntegrityCheck()
    {
        using var connection = new SqliteConnection($"Data Source={Path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check;";
        return (string)command.ExecuteScalar()!;
    }

    /// <summary>Runs a scalar query on its own connection (to look at rows the way an operator would).</summary>
    public object? Scalar(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={Path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        object? value = reader.Read() ? reader.GetValue(0) : null;
        while (reader.Read())
        {
        }
        return value;
    }

    /// <summary>One column of every row of a query, as text.</summary>
    public List<string> Column(string sql, int ordinal)
    {
        using var connection = new SqliteConnection($"Data Source={Path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read())
            values.Add(reader.GetValue(ordinal).ToString() ?? "");
        return values;
    }

    public void Dispose()
    {
        try
        {
            if (System.IO.Directory.Exists(Directory))
                System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A process we started may still be closing the file; the temp directory is cleaned by the OS eventually.
        }
    }
}
