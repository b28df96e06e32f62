using Orleans.Concurrency;
using Comet.Abstractions.Versions;

namespace Comet.Grains;

/// <summary>
/// One replica of one key (<see cref="ReplicaGrainKey"/>), placed by the ring on position
/// <c>r</c> of the key's walk. It holds the versioned record (live versions and history),
/// one sandboxed Lua state per live ASO version, and runs the object's handlers one turn at a
/// time. Only silos call it: an incoming call filter refuses calls from clients.
/// </summary>
public interface IReplicaGrain : IGrainWithStringKey
{
    /// <summary>Gives a new write its version from this replica's own counter, applies it and persists it (the first step of a put).</summary>
    Task<CoordinatedWrite> CoordinateAsync(NewWrite write);

    /// <summary>Applies a version made elsewhere: a client put's fan-out, a repair copy, or a neighbour's <c>comet.put</c>.</summary>
    Task<ReplicaPutStatus> ApplyAsync(ReplicaPut put);

    /// <summary>Answers a get: runs <c>onGet</c> of each live ASO version, or of one kept version.</summary>
    Task<ReplicaReadResult> ReadAsync(ReplicaRead read);

    /// <summary>The live versions with their current data (read repair, anti-entropy). Never runs handlers.</summary>
    [AlwaysInterleave]
    Task<ReplicaEntries> FetchAsync();

    /// <summary>Metadata of the kept versions.</summary>
    [AlwaysInterleave]
    Task<HistoryResult> HistoryAsync();

    /// <summary>
    /// Garbage collection: removes this replica's record from storage when every live version hides the key (deleted
    /// or expired) since before <paramref name="hiddenBeforeMs"/>; answers whether it did (false: a newer write came).
    /// </summary>
    Task<bool> CollectAsync(long hiddenBeforeMs);

    /// <summary>Everything this replica holds, state included: for the admin key inspector only.</summary>
    [AlwaysInterleave]
    Task<ReplicaInspection> InspectAsync();
}

/// <summary>A replica's live versions, carried as one immutable message.</summary>
[GenerateSerializer, Immutable, Alias("comet.replica-entries")]
public sealed record ReplicaEntries(
    [property: Id(0)] IReadOnlyList<VersionEntry> Live,
    [property: Id(1)] int Replicas);
