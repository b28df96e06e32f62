namespace Comet.Gateway.Security;

/// <summary>
/// Every API key of the cluster (ids, namespaces, hashes: never a secret), in one grain with
/// persisted state. Key changes are rare admin operations; each silo keeps a copy
/// (<see cref="ApiKeyStore"/>) and asks for changes every few seconds, so a request's check
/// never waits on the registry.
/// </summary>
public interface IApiKeyRegistryGrain : IGrainWithStringKey
{
    /// <summary>The one registry of a cluster.</summary>
    public const string Key = "keys";

    /// <summary>Adds a key; false when its id is taken (the caller draws another).</summary>
    Task<bool> AddAsync(ApiKeyRecord record);

    /// <summary>Marks a key revoked (it stays, so every silo learns it); null when <paramref name="ns"/> has no such key.</summary>
    Task<ApiKeyRecord?> RevokeAsync(string ns, string id, long nowMs);

    Task<IReadOnlyList<ApiKeyRecord>> ListAsync(string ns);

    /// <summary>Every key, when the registry changed since <paramref name="knownVersion"/>; null otherwise.</summary>
    Task<ApiKeySet?> ChangesSinceAsync(long knownVersion);
}

[GenerateSerializer, Immutable, Alias("comet.api-key-set")]
public sealed record ApiKeySet([property: Id(0)] long Version, [property: Id(1)] IReadOnlyList<ApiKeyRecord> Keys);
