using Comet.Abstractions.Versions;
using Comet.Abstractions.Options;
using Comet.Abstractions.Keys;
using Comet.Abstractions.Protocol;
using Comet.Grid.Messaging;

namespace Comet.Grid.Replication;

/// <summary>
/// How a coordinator reaches the replica of a key on one silo: in-process for this silo,
/// over the silo-to-silo transport for the others. Errors come back as <see cref="Comet.Abstractions.Errors.CometException"/>.
/// </summary>
public interface IReplicaClient
{
    ValueTask<ReplicaPutStatus> PutAsync(string silo, ObjectKey key, ReplicaPutRequest request, CancellationToken ct);

    ValueTask<ReplicaGetResponse> GetAsync(string silo, ObjectKey key, ReplicaGetRequest request, CancellationToken ct);

    /// <summary>The replica's live versions with their data (read repair, anti-entropy).</summary>
    ValueTask<IReadOnlyList<VersionEntry>> FetchAsync(string silo, ObjectKey key, CancellationToken ct);

    /// <summary>Asks <paramref name="fallback"/> to persist <paramref name="request"/> as a hint for <paramref name="target"/>.</summary>
    ValueTask StoreHintAsync(string fallback, string target, ReplicaPutRequest request, CancellationToken ct);

    ValueTask<HistoryResponse> HistoryAsync(string silo, ObjectKey key, HistoryRequest request, CancellationToken ct);
}
