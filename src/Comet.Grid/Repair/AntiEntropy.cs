using Comet.Abstractions.Versions;
using Comet.Abstractions.Options;
using System.Buffers;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Keys;
using Comet.Abstractions.Protocol;
using Comet.Grid.Grains;
using Comet.Grid.Hosting;
using Comet.Grid.Membership;
using Comet.Grid.Messaging;
using Comet.Grid.Replication;
using Microsoft.Extensions.Logging;

namespace Comet.Grid.Repair;

/// <summary>
/// Periodic anti-entropy (Dynamo's Merkle-tree repair, run on a period as Bamboo recommends
/// rather than reacting to each change): for every ring partition this silo should hold, it
/// compares its partition digest with each other replica's, lists keys only in buckets that
/// differ, and pulls the versions it does not know. A restarted silo catches up this way, and a
/// silo that newly joined a preference list (because another left the ring) is filled.
/// </summary>
public sealed partial class AntiEntropy : IAsyncDisposable
{
    private readonly SiloOptions _options;
    private readonly Func<MembershipView> _view;
    private readonly ReplicaStore _store;
    private readonly Catalog _catalog;
    private readonly SiloDirectory _silos;
    private readonly IReplicaClient _replicas;
    private readonly ILogger _logger;
    private PeriodicLoop? _loop;

    public AntiEntropy(SiloOptions options, Func<MembershipView> view, ReplicaStore store, Catalog catalog, SiloDirectory silos, IReplicaClient replicas, ILogger logger)
    {
        _replicas = replicas;
        _options = options;
        _view = view;
        _store = store;
        _catalog = catalog;
        _silos = silos;
        _logger = logger;
    }

    /// <summary>Versions copied to this silo since it started.</summary>
    public long Repaired => Interlocked.Read(ref _repaired);

    private long _repaired;

    /// <summary>Completed rounds since start.</summary>
    public long Rounds => Interlocked.Read(ref _rounds);

    private long _rounds;

    public void Start() => _loop = PeriodicLoop.Start(_options.AntiEntropyPeriod, TimeProvider.System, RunRoundAsync, ex => LogRoundFailed(_logger, _options.SiloId, ex));

    private int ReplicaCount => _options.Namespaces.Values.Select(n => n.N).DefaultIfEmpty(3).Max();

    /// <summary>One full round over every partition this silo should hold; returns the versions it copied.</summary>
    public async Task<int> RunRoundAsync(CancellationToken ct)
    {
        var view = _view();
        var copied = 0;
        for (var partition = 0; partition < view.Ring.Partitions; partition++)
        {
            var replicas = view.Ring.Walk(partition, ReplicaCount);
            if (Array.IndexOf(replicas, _options.SiloId) < 0) continue;
            foreach (var peer in replicas)
            {
                if (peer == _options.SiloId) continue;
                try
                {
                    copied += await RepairFromAsync(peer, partition, ct).ConfigureAwait(false);
                }
                catch (CometException ex)
                {
                    LogPeerFailed(_logger, _options.SiloId, peer, partition, ex.Message);
                }
            }
        }
        Interlocked.Add(ref _repaired, copied);
        Interlocked.Increment(ref _rounds);
        return copied;
    }

    private async Task<int> RepairFromAsync(string peer, int partition, CancellationToken ct)
    {
        var local = await LocalEntriesAsync(partition, null, ct).ConfigureAwait(false);
        var mine = BucketHashes(local.Values);
        var connection = await _silos.ConnectAsync(peer, ct).ConfigureAwait(false);
        ulong[] theirs;
        using (var answer = await connection.RequestAsync((ushort)SiloOpcode.PartitionDigest, partition, WritePartition, ct).ConfigureAwait(false))
        {
            var r = new PayloadReader(answer.Span);
            theirs = RepairMessages.ReadDigest(ref r);
        }
        var differing = new List<int>();
        for (var b = 0; b < PartitionDigest.Buckets; b++)
            if (mine[b] != theirs[b]) differing.Add(b);
        if (differing.Count == 0) return 0;

        List<DigestKey> keys;
        using (var answer = await connection.RequestAsync((ushort)SiloOpcode.PartitionKeys, (partition, differing), static (buffer, s) =>
        {
            var w = new PayloadWriter(buffer);
            w.WriteVarUInt((ulong)s.partition);
            w.WriteVarUInt((ulong)s.differing.Count);
            foreach (var b in s.differing) w.WriteVarUInt((ulong)b);
        }, ct).ConfigureAwait(false))
        {
            var r = new PayloadReader(answer.Span);
            keys = RepairMessages.ReadKeys(ref r);
        }

        var copied = 0;
        foreach (var key in keys)
        {
            if (local.TryGetValue(key.Namespace + "/" + key.Key, out var record) && PartitionDigest.EntryHash(record) == key.Hash) continue;
            var objectKey = ObjectKey.Create(key.Namespace, key.Key, _options.Limits);
            var entries = await _replicas.FetchAsync(peer, objectKey, ct).ConfigureAwait(false);
            foreach (var entry in entries)
            {
                if (record is not null && record.Knows(entry.Version.Dot)) continue;
                var status = await _catalog.PutAsync(objectKey,
                    new ReplicaPutRequest(key.Namespace, key.Key, entry, PutMode.Repair, CallerInfo.Internal(peer)), ct).ConfigureAwait(false);
                if (status == ReplicaPutStatus.Applied) copied++;
            }
        }
        return copied;
    }

    /// <summary>This silo's records of one partition by "ns/key", optionally only those in some buckets.</summary>
    internal async Task<Dictionary<string, ReplicaRecord>> LocalEntriesAsync(int partition, HashSet<int>? buckets, CancellationToken ct)
    {
        var records = new Dictionary<string, ReplicaRecord>(StringComparer.Ordinal);
        await foreach (var record in _store.ScanPartitionAsync(partition, ct).ConfigureAwait(false))
        {
            var rowKey = record.Namespace + "/" + record.Key;
            if (buckets is null || buckets.Contains(PartitionDigest.BucketOf(rowKey))) records[rowKey] = record;
        }
        return records;
    }

    internal static ulong[] BucketHashes(IEnumerable<ReplicaRecord> records)
    {
        var buckets = new ulong[PartitionDigest.Buckets];
        foreach (var record in records)
        {
            if (record.Live.Count == 0) continue;
            buckets[PartitionDigest.BucketOf(record.Namespace + "/" + record.Key)] ^= PartitionDigest.EntryHash(record);
        }
        return buckets;
    }

    private static readonly Action<IBufferWriter<byte>, int> WritePartition = static (buffer, partition) =>
    {
        var w = new PayloadWriter(buffer);
        w.WriteVarUInt((ulong)partition);
    };

    public ValueTask DisposeAsync() => _loop?.DisposeAsync() ?? ValueTask.CompletedTask;

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Silo}: anti-entropy with {Peer} for partition {Partition} failed: {Message}")]
    private static partial void LogPeerFailed(ILogger logger, string silo, string peer, int partition, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Silo}: an anti-entropy round failed; the next one retries")]
    private static partial void LogRoundFailed(ILogger logger, string silo, Exception ex);
}
