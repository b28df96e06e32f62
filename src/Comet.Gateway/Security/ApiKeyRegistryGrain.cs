using Comet.Grains;

namespace Comet.Gateway.Security;

[GenerateSerializer, Alias("comet.api-key-registry-state")]
public sealed class ApiKeyRegistryState
{
    [Id(0)] public long Version { get; set; }

    [Id(1)] public Dictionary<string, ApiKeyRecord> Keys { get; set; } = new(StringComparer.Ordinal);
}

public sealed class ApiKeyRegistryGrain(
    [PersistentState("apikeys", CometStorage.Replicas)] IPersistentState<ApiKeyRegistryState> state) : Grain, IApiKeyRegistryGrain
{
    public async Task<bool> AddAsync(ApiKeyRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (state.State.Keys.ContainsKey(record.Id)) return false;
        state.State.Keys[record.Id] = record;
        state.State.Version++;
        await state.WriteStateAsync().ConfigureAwait(true);
        return true;
    }

    public async Task<ApiKeyRecord?> RevokeAsync(string ns, string id, long nowMs)
    {
        if (!state.State.Keys.TryGetValue(id, out var record) || record.Namespace != ns) return null;
        if (record.IsRevoked) return record;
        var revoked = record with { RevokedAtMs = Math.Max(1, nowMs) };
        state.State.Keys[id] = revoked;
        state.State.Version++;
        await state.WriteStateAsync().ConfigureAwait(true);
        return revoked;
    }

    public Task<IReadOnlyList<ApiKeyRecord>> ListAsync(string ns)
    {
        var keys = state.State.Keys.Values.Where(k => k.Namespace == ns).OrderBy(k => k.CreatedAtMs).ToList();
        return Task.FromResult<IReadOnlyList<ApiKeyRecord>>(keys);
    }

    public Task<ApiKeySet?> ChangesSinceAsync(long knownVersion) =>
        Task.FromResult(knownVersion == state.State.Version ? null : new ApiKeySet(state.State.Version, [.. state.State.Keys.Values]));
}
