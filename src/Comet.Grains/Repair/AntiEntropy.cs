using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Comet.Abstractions.Keys;
using Comet.Abstractions.Versions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Storage;

namespace Comet.Grains;

/// <summary>
/// Periodic repair (Dynamo's anti-entropy, run on a period as Bamboo recommends rather than in
/// reaction to churn). Each silo takes the ring partitions it owns; for each it walks the keys
/// in the partition's index, reads every replica's record straight from grain storage (no
/// activation, no Lua), and compares digests of their live versions, bucket by bucket (a
/// one-level Merkle tree: only keys in buckets whose digests differ are compared one by one).
/// A replica that lacks a current version gets it copied through its grain, as read repair
/// does, so a replica that missed writes while its silo was down catches up even if nobody reads it.
/// </summary>
public sealed partial class AntiEntropy : BackgroundService
{
    private const int Buckets = 64;
    private readonly IGrainFactory _grains;
    private readonly IServiceProvider _services;
    private readonly RingView _ring;
    private readonly ILocalSiloDetails _silo;
    private readonly CometGridOptions _options;
    private readonly ILogger _logger;
    private long _repairs;
    private long _rounds;
    private long _collected;

    public AntiEntropy(IGrainFactory grains, IServiceProvider services, RingView ring, ILocalSiloDetails silo, IOptions<CometGridOptions> options, ILogger<AntiEntropy> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _grains = grains;
        _services = services;
        _ring = ring;
        _silo = silo;
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>Versions copied to replicas that lacked them.</summary>
    public long Repairs => Interlocked.Read(ref _repairs);

    /// <summary>Rounds completed on this silo.</summary>
    public long Rounds => Interlocked.Read(ref _rounds);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.AntiEntropyPeriod);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await RunRoundAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogRoundFailed(_logger, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>One pass over the partitions this silo owns; returns the versions it copied.</summary>
    public async Task<int> RunRoundAsync(CancellationToken ct = default)
    {
        var ring = _ring.Current.Ring;
        var copied = 0;
        for (var partition = 0; partition < ring.Partitions && !ring.IsEmpty; partition++)
        {
            if (ring.OwnerOf(partition) != _silo.Name) continue;
            copied += await RepairPartitionAsync(partition, ct).ConfigureAwait(false);
        }
        Interlocked.Increment(ref _rounds);
        return copied;
    }

    private async Task<int> RepairPartitionAsync(int partition, CancellationToken ct)
    {
        var keys = await _grains.GetGrain<IKeyIndexGrain>(partition).KeysAsync().WaitAsync(ct).ConfigureAwait(false);
        if (keys.Count == 0) return 0;
        var storage = _services.GetRequiredKeyedService<IGrainStorage>(CometStorage.Replicas);
        var width = 0;
        foreach (var key in keys) width = Math.Max(width, key.Replicas);
        // records[r][i]: replica r's live versions of keys[i] (null when it has none).
        var records = new List<VersionEntry>?[width][];
        var digests = new ulong[width][];
        for (var r = 0; r < width; r++)
        {
            records[r] = new List<VersionEntry>?[keys.Count];
            digests[r] = new ulong[Buckets];
            for (var i = 0; i < keys.Count; i++)
            {
                if (r >= keys[i].Replicas) continue;
                var live = await ReadLiveAsync(storage, keys[i], r).ConfigureAwait(false);
                records[r][i] = live;
                digests[r][BucketOf(keys[i])] ^= Digest(keys[i], live);
            }
        }
        var copied = 0;
        for (var i = 0; i < keys.Count; i++)
        {
            var bucket = BucketOf(keys[i]);
            var agree = true;
            for (var r = 1; r < keys[i].Replicas && agree; r++) agree = digests[r][bucket] == digests[0][bucket];
            if (agree) continue;
            copied += await RepairKeyAsync(keys[i], records, i, ct).ConfigureAwait(false);
        }
        if (copied > 0) Interlocked.Add(ref _repairs, copied);
        await CollectGarbageAsync(partition, keys, records, ct).ConfigureAwait(false);
        return copied;
    }

    /// <summary>Keys removed from storage because every replica held only deletions or expired versions past the grace period.</summary>
    public long Collected => Interlocked.Read(ref _collected);

    /// <summary>
    /// Removes keys that are deleted or expired on every replica since longer than the grace period: the key leaves
    /// the partition's index first (so no round repairs it meanwhile), then each replica clears its record. Should a
    /// replica have taken a new write in between, it keeps it and the key goes back into the index.
    /// </summary>
    private async Task CollectGarbageAsync(int partition, IReadOnlyList<IndexedKey> keys, List<VersionEntry>?[][] records, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var hiddenBefore = now - (long)_options.TombstoneGrace.TotalMilliseconds;
        var index = _grains.GetGrain<IKeyIndexGrain>(partition);
        for (var i = 0; i < keys.Count; i++)
        {
            var key = keys[i];
            var collectable = true;
            for (var r = 0; r < key.Replicas && collectable; r++)
                foreach (var entry in records[r][i] ?? [])
                    if (!entry.HidesKey(now) || VersionHistory.HiddenSince(entry) > hiddenBefore) collectable = false;
            if (!collectable) continue;
            await index.RemoveAsync(key).WaitAsync(ct).ConfigureAwait(false);
            var kept = false;
            for (var r = 0; r < key.Replicas; r++)
            {
                try
                {
                    var replica = _grains.GetGrain<IReplicaGrain>(ReplicaGrainKey.Format(key.Namespace, key.Key, r));
                    if (!await replica.CollectAsync(hiddenBefore).WaitAsync(_options.ReplicaTimeout, ct).ConfigureAwait(false)) kept = true;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogCopyFailed(_logger, key.Namespace, key.Key, r, ex.Message);
                    kept = true;
                }
            }
            if (kept) await index.AddAsync(key).WaitAsync(ct).ConfigureAwait(false);
            else Interlocked.Increment(ref _collected);
        }
    }

    /// <summary>Copies each current version (superseded by no other version of the key) to the replicas that lack it.</summary>
    private async Task<int> RepairKeyAsync(IndexedKey key, List<VersionEntry>?[][] records, int index, CancellationToken ct)
    {
        var all = new List<VersionEntry>();
        for (var r = 0; r < key.Replicas; r++)
            foreach (var entry in records[r][index] ?? [])
                if (!all.Exists(e => e.Version.Dot == entry.Version.Dot)) all.Add(entry);
        var copied = 0;
        foreach (var entry in all)
        {
            if (all.Exists(other => other.Version.Supersedes(entry.Version))) continue;
            for (var r = 0; r < key.Replicas; r++)
            {
                var live = records[r][index];
                if (live is not null && live.Exists(e => e.Version.Dot == entry.Version.Dot || e.Version.Supersedes(entry.Version))) continue;
                var replica = _grains.GetGrain<IReplicaGrain>(ReplicaGrainKey.Format(key.Namespace, key.Key, r));
                try
                {
                    await replica.ApplyAsync(new ReplicaPut(entry, PutMode.Repair, CallerInfo.Internal(_silo.Name), key.Replicas))
                        .WaitAsync(_options.ReplicaTimeout, ct).ConfigureAwait(false);
                    copied++;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // That replica's silo is unreachable now: the next round tries again.
                    LogCopyFailed(_logger, key.Namespace, key.Key, r, ex.Message);
                }
            }
        }
        return copied;
    }

    private async Task<List<VersionEntry>?> ReadLiveAsync(IGrainStorage storage, IndexedKey key, int replica)
    {
        var grainId = _grains.GetGrain<IReplicaGrain>(ReplicaGrainKey.Format(key.Namespace, key.Key, replica)).GetGrainId();
        var state = new GrainState<ReplicaState>(new ReplicaState());
        await storage.ReadStateAsync(ReplicaGrain.StateName, grainId, state).ConfigureAwait(false);
        return state.State?.Record is { Length: > 0 } bytes ? ReplicaRecord.Decode(bytes).Live : null;
    }

    private static int BucketOf(IndexedKey key) => (int)(KeyHash.Of(key.Namespace, key.Key) % Buckets);

    /// <summary>A digest of a key's live version ids: equal sets give equal digests, and XOR combines keys within a bucket.</summary>
    private static ulong Digest(IndexedKey key, List<VersionEntry>? live)
    {
        var text = new StringBuilder(key.Namespace).Append('/').Append(key.Key);
        if (live is not null)
            foreach (var id in live.Select(e => e.Version.Id).Order(StringComparer.Ordinal)) text.Append('|').Append(id);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()), hash);
        return BinaryPrimitives.ReadUInt64BigEndian(hash);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "An anti-entropy round failed; the next one tries again")]
    private static partial void LogRoundFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Anti-entropy could not copy {Namespace}/{Key} to replica {Replica}: {Message}")]
    private static partial void LogCopyFailed(ILogger logger, string @namespace, string key, int replica, string message);
}
