namespace Comet.Grains;

/// <summary>
/// The keys stored in one ring partition (the grain's integer key), so that anti-entropy can
/// walk a partition without scanning storage. A replica grain adds its key when it first
/// stores a version; adds are grouped into one storage write per flush.
/// </summary>
public interface IKeyIndexGrain : IGrainWithIntegerKey
{
    Task AddAsync(IndexedKey key);

    /// <summary>Forgets a key whose replicas were all collected.</summary>
    Task RemoveAsync(IndexedKey key);

    [Orleans.Concurrency.AlwaysInterleave]
    Task<IReadOnlyList<IndexedKey>> KeysAsync();
}

/// <summary>A key and the number of replicas its object asked for.</summary>
[GenerateSerializer, Immutable, Alias("comet.indexed-key")]
public sealed record IndexedKey(
    [property: Id(0)] string Namespace,
    [property: Id(1)] string Key,
    [property: Id(2)] int Replicas);
