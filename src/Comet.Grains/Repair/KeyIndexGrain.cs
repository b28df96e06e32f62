namespace Comet.Grains;

[GenerateSerializer, Alias("comet.key-index-state")]
public sealed class KeyIndexState
{
    /// <summary>"ns/key" → replicas.</summary>
    [Id(0)] public Dictionary<string, int> Keys { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// One partition's key list. Adds interleave: those that arrive while a write is in flight
/// share the next one (group commit), so a burst of new keys costs a write per flush, not per key.
/// </summary>
[Orleans.Concurrency.Reentrant]
public sealed class KeyIndexGrain(
    [PersistentState("keys", CometStorage.Replicas)] IPersistentState<KeyIndexState> state) : Grain, IKeyIndexGrain
{
    private TaskCompletionSource? _waiting;
    private bool _writing;

    public Task AddAsync(IndexedKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var name = key.Namespace + "/" + key.Key;
        if (state.State.Keys.TryGetValue(name, out var known) && known >= key.Replicas) return Task.CompletedTask;
        state.State.Keys[name] = Math.Max(known, key.Replicas);
        return WriteSoonAsync();
    }

    public Task RemoveAsync(IndexedKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return state.State.Keys.Remove(key.Namespace + "/" + key.Key) ? WriteSoonAsync() : Task.CompletedTask;
    }

    /// <summary>Joins the next grouped write of the index.</summary>
    private Task WriteSoonAsync()
    {
        var batch = _waiting ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_writing) _ = WriteLoopAsync();
        return batch.Task;
    }

    private async Task WriteLoopAsync()
    {
        _writing = true;
        try
        {
            while (_waiting is { } batch)
            {
                _waiting = null;
                try
                {
                    await state.WriteStateAsync().ConfigureAwait(true);
                    batch.SetResult();
                }
                catch (Exception ex)
                {
                    batch.SetException(ex);
                }
            }
        }
        finally
        {
            _writing = false;
        }
    }

    public Task<IReadOnlyList<IndexedKey>> KeysAsync()
    {
        var keys = new List<IndexedKey>(state.State.Keys.Count);
        foreach (var (name, replicas) in state.State.Keys)
        {
            var slash = name.IndexOf('/', StringComparison.Ordinal);
            keys.Add(new IndexedKey(name[..slash], name[(slash + 1)..], replicas));
        }
        return Task.FromResult<IReadOnlyList<IndexedKey>>(keys);
    }
}
