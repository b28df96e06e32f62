using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Keys;
using Comet.Abstractions.Protocol;
using Comet.Grid.Hosting;
using Comet.Grid.Membership;
using Comet.Grid.Messaging;
using Comet.Storage;
using Microsoft.Extensions.Logging;

namespace Comet.Grid.Replication;

/// <summary>A write held by this silo for a replica that could not be reached (Dynamo's hinted handoff).</summary>
public sealed record Hint(string Target, long CreatedAtMs, ReplicaPutRequest Request)
{
    private const byte FormatVersion = 1;

    public byte[] Encode()
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        var w = new PayloadWriter(buffer);
        w.WriteByte(FormatVersion);
        w.WriteString(Target);
        w.WriteVarInt(CreatedAtMs);
        Request.WriteTo(ref w);
        return buffer.WrittenSpan.ToArray();
    }

    public static Hint Decode(ReadOnlySpan<byte> data)
    {
        var r = new PayloadReader(data);
        if (r.ReadByte() != FormatVersion) throw PayloadReader.Malformed("unknown hint format");
        var target = r.ReadString();
        var created = r.ReadVarInt();
        var request = ReplicaPutRequest.ReadFrom(ref r);
        r.ExpectEnd();
        return new Hint(target, created, request);
    }

    /// <summary>Sent to a fallback silo: the target, then the replica put it stands in for.</summary>
    public static readonly Action<IBufferWriter<byte>, (string Target, ReplicaPutRequest Request)> Message = static (buffer, m) =>
    {
        var w = new PayloadWriter(buffer);
        w.WriteString(m.Target);
        m.Request.WriteTo(ref w);
    };

    public static (string Target, ReplicaPutRequest Request) ReadMessage(ReadOnlySpan<byte> payload)
    {
        var r = new PayloadReader(payload);
        var target = r.ReadString();
        var request = ReplicaPutRequest.ReadFrom(ref r);
        r.ExpectEnd();
        return (target, request);
    }
}

/// <summary>
/// Sloppy quorum's other half: the hints this silo holds, persisted in table <c>hints</c>
/// (partition = this silo), delivered to their target once it is live again and deleted when it
/// acknowledged them. Hints older than <see cref="SiloOptions.HintWindow"/> are dropped: by then
/// periodic anti-entropy has repaired the target, so the window only bounds the table.
/// </summary>
public sealed partial class HintedHandoff : IAsyncDisposable
{
    public const string TableName = "hints";

    private readonly SiloOptions _options;
    private readonly IStorageTable _table;
    private readonly Func<MembershipView> _view;
    private readonly IReplicaClient _replicas;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _delivering = new(1, 1);
    private PeriodicLoop? _loop;
    private long _stored;
    private long _delivered;
    private long _dropped;

    public HintedHandoff(SiloOptions options, IStorageTable table, Func<MembershipView> view, IReplicaClient replicas, TimeProvider time, ILogger logger)
    {
        _options = options;
        _table = table;
        _view = view;
        _replicas = replicas;
        _time = time;
        _logger = logger;
    }

    public long Stored => Interlocked.Read(ref _stored);

    public long Delivered => Interlocked.Read(ref _delivered);

    public long Dropped => Interlocked.Read(ref _dropped);

    public void Start() => _loop = PeriodicLoop.Start(_options.HintDeliveryPeriod, _time, DeliverAsync, ex => LogPassFailed(_logger, _options.SiloId, ex));

    /// <summary>Persists a hint for <paramref name="target"/>; the write is acknowledged only after this returns.</summary>
    public async ValueTask StoreAsync(string target, ReplicaPutRequest request, CancellationToken ct)
    {
        if (target == _options.SiloId) throw new CometException(CometErrorCode.BadRequest, "A silo does not hold hints for itself.");
        var hint = new Hint(target, _time.GetUtcNow().ToUnixTimeMilliseconds(), request);
        await _table.WriteAsync(new StorageRow(_options.SiloId, RowKeyOf(hint), hint.Encode()), WriteCondition.Upsert, ct).ConfigureAwait(false);
        Interlocked.Increment(ref _stored);
    }

    /// <summary>The hints this silo holds now (tests, admin).</summary>
    public async Task<IReadOnlyList<Hint>> PendingAsync(CancellationToken ct)
    {
        var hints = new List<Hint>();
        await foreach (var row in _table.QueryAllAsync(RowQuery.Partition(_options.SiloId), ct: ct).ConfigureAwait(false))
            hints.Add(Hint.Decode(row.Data.Span));
        return hints;
    }

    /// <summary>One delivery pass: sends every hint whose target is live, drops expired ones. Returns the hints delivered.</summary>
    public async Task<int> DeliverAsync(CancellationToken ct)
    {
        await _delivering.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var view = _view();
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            var window = (long)_options.HintWindow.TotalMilliseconds;
            var unreachable = new HashSet<string>(StringComparer.Ordinal);
            var delivered = 0;
            await foreach (var row in _table.QueryAllAsync(RowQuery.Partition(_options.SiloId), ct: ct).ConfigureAwait(false))
            {
                var hint = Hint.Decode(row.Data.Span);
                if (now - hint.CreatedAtMs > window)
                {
                    await _table.DeleteAsync(row.PartitionKey, row.RowKey, null, ct).ConfigureAwait(false);
                    Interlocked.Increment(ref _dropped);
                    continue;
                }
                if (!view.IsLive(hint.Target) || unreachable.Contains(hint.Target)) continue;
                var key = ObjectKey.Create(hint.Request.Namespace, hint.Request.Key, _options.Limits);
                try
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    timeout.CancelAfter(_options.ReplicaTimeout);
                    await _replicas.PutAsync(hint.Target, key, hint.Request with { Mode = PutMode.Repair }, timeout.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is CometException or OperationCanceledException && !ct.IsCancellationRequested)
                {
                    unreachable.Add(hint.Target); // try again next pass
                    continue;
                }
                await _table.DeleteAsync(row.PartitionKey, row.RowKey, null, ct).ConfigureAwait(false);
                Interlocked.Increment(ref _delivered);
                delivered++;
            }
            if (delivered > 0) LogDelivered(_logger, _options.SiloId, delivered);
            return delivered;
        }
        finally
        {
            _delivering.Release();
        }
    }

    /// <summary>Unique per (target, key, version): a retried hint overwrites itself.</summary>
    private static string RowKeyOf(Hint hint)
    {
        var identity = Encoding.UTF8.GetBytes(hint.Request.Namespace + "\0" + hint.Request.Key + "\0" + hint.Request.Entry.Version.Dot);
        return hint.Target + "/" + Convert.ToHexStringLower(SHA256.HashData(identity).AsSpan(0, 16));
    }

    public ValueTask DisposeAsync() => _loop?.DisposeAsync() ?? ValueTask.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "{Silo}: delivered {Count} hints")]
    private static partial void LogDelivered(ILogger logger, string silo, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Silo}: a hint delivery pass failed; the next one retries")]
    private static partial void LogPassFailed(ILogger logger, string silo, Exception ex);
}
