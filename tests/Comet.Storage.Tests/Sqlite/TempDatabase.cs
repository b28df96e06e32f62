using Comet.Storage.Sqlite;

namespace Comet.Storage.Tests.Sqlite;

/// <summary>A database file in its own temporary directory, deleted (with its -wal and -shm) on dispose.</summary>
public sealed class TempDatabase : IDisposable
{
    public TempDatabase()
    {
        Directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "comet-storage-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        Path = System.IO.Path.Combine(Directory, "store.db");
    }

    public string Directory { get; }

    public string Path { get; }

    public string WalPath => Path + "-wal";

    public SqliteStorageOptions Options() => new() { DataSource = Path };

    public Task<SqliteStorageProvider> OpenAsync(Action<SqliteStorageOptions>? configure = null)
    {
        var options = Options();
        configure?.Invoke(options);
        return SqliteStorageProvider.OpenAsync(options).AsTask();
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still open by a failed test; the OS temp cleaner gets it.
        }
    }
}
