using Comet.Storage.Azure;
using Comet.Storage.Tests.Contract;

namespace Comet.Storage.Tests.Azure;

/// <summary>The storage contract, run against Azure Table storage as Azurite emulates it.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzureTableStorageProviderContractTests(AzuriteFixture azurite) : StorageProviderContract
{
    protected override Task<IStorageProvider> CreateProviderAsync() =>
        Task.FromResult<IStorageProvider>(new AzureTableStorageProvider(new AzureTableStorageOptions { ConnectionString = azurite.ConnectionString }));
}
