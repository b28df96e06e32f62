using Comet.Abstractions.Versions;
using Comet.Abstractions.Options;
using System.Globalization;
using Comet.Abstractions.Keys;
using Comet.Storage;

namespace Comet.Grid.Replication;

/// <summary>
/// Where one silo persists its replicas: table <c>replicas</c>, one row per key, partitioned by
/// (silo, ring partition) so that a silo's share of one ring partition is one storage partition:
/// the unit anti-entropy compares and hands off, and the unit Azure batches within.
/// </summary>
public sealed class ReplicaStore
{
    public const string TableName = "replicas";

    private readonly IStorageTable _table;
    private readonly string _siloId;

    public ReplicaStore(IStorageTable table, string siloId)
    {
        _table = table;
        _siloId = siloId;
    }

    public static string PartitionKey(string siloId, int partition) =>
        siloId + "/" + partition.ToString("D5", CultureInfo.InvariantCulture);

    /// <summary>Namespaces never contain '/', so "ns/key" is unambiguous.</summary>
    public static string RowKey(ObjectKey key) => key.Namespace + "/" + key.Key;

    public async ValueTask<ReplicaRecord?> ReadAsync(ObjectKey key, int partition, CancellationToken ct)
    {
        var row = await _table.ReadAsync(PartitionKey(_siloId, partition), RowKey(key), ct).ConfigureAwait(false);
        return row is null ? null : ReplicaRecord.Decode(row.Data.Span);
    }

    public async ValueTask WriteAsync(ObjectKey key, int partition, ReplicaRecord record, CancellationToken ct)
    {
        var pk = PartitionKey(_siloId, partition);
        if (record.IsEmpty)
        {
            await _table.DeleteAsync(pk, RowKey(key), null, ct).ConfigureAwait(false);
            return;
        }
        await _table.WriteAsync(new StorageRow(pk, RowKey(key), record.Encode()), WriteCondition.Upsert, ct).ConfigureAwait(false);
    }

    /// <summary>Every record this silo holds for one ring partition (anti-entropy, handoff).</summary>
    public async IAsyncEnumerable<ReplicaRecord> ScanPartitionAsync(int partition, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var row in _table.QueryAllAsync(RowQuery.Partition(PartitionKey(_siloId, partition)), ct: ct).ConfigureAwait(false))
            yield return ReplicaRecord.Decode(row.Data.Span);
    }
}
