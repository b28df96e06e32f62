using Comet.Storage.Memory;
using Comet.Storage.Tests.Contract;

namespace Comet.Storage.Tests.Memory;

/// <summary>The storage contract, run against the in-memory provider.</summary>
public sealed class MemoryStorageProviderContractTests : StorageProviderContract
{
    protected override Task<IStorageProvider> CreateProviderAsync() => Task.FromResult<IStorageProvider>(new MemoryStorageProvider());
}
