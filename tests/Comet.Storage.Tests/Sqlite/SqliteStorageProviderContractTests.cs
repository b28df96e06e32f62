using Comet.Storage.Tests.Contract;

namespace Comet.Storage.Tests.Sqlite;

/// <summary>The storage contract, run against SQLite on a temporary file.</summary>
public sealed class SqliteStorageProviderContractTests : StorageProviderContract, IDisposable
{
    private readonly TempDatabase database = new();

    protected override async Task<IStorageProvider> CreateProviderAsync() => await database.OpenAsync();

    protected override Task DeleteStorageAsync()
    {
        database.Dispose();
        return Task.CompletedTask;
    }

    public void Dispose() => database.Dispose();
}
