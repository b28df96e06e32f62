using Comet.Abstractions.Versions;
using Comet.Abstractions.Options;
using Comet.Abstractions.Keys;
using Comet.Abstractions.Protocol;
using Comet.Grid.Grains;
using Comet.Abstractions.Errors;
using Comet.Grid.Replication;

namespace Comet.Grid.Messaging;

/// <summary>Reaches a key's replica on a silo: this silo's catalog directly, the others over their silo port.</summary>
public sealed class ReplicaClient : IReplicaClient
{
    private readonly string _self;
    private readonly Catalog _catalog;
    private readonly SiloDirectory _silos;

    public ReplicaClient(string self, Catalog catalog, SiloDirectory silos)
    {
        _self = self;
        _catalog = catalog;
        _silos = silos;
    }

    public async ValueTask<ReplicaPutStatus> PutAsync(string silo, ObjectKey key, ReplicaPutRequest request, CancellationToken ct)
    {
        if (silo == _self) return await _catalog.PutAsync(key, request, ct).ConfigureAwait(false);
        var connection = await _silos.ConnectAsync(silo, ct).ConfigureAwait(false);
        using var answer = await connection.RequestAsync((ushort)SiloOpcode.ReplicaPut, request, MessageCodec.ReplicaPut, ct).ConfigureAwait(false);
        var reader = new PayloadReader(answer.Span);
        var status = reader.ReadByte();
        if (status > (byte)ReplicaPutStatus.Obsolete) throw PayloadReader.Malformed("unknown replica put status");
        return (ReplicaPutStatus)status;
    }

    /// <summary>This silo's hint store (set once the silo has built it).</summary>
    public HintedHandoff? Hints { get; set; }

    public async ValueTask StoreHintAsync(string fallback, string target, ReplicaPutRequest request, CancellationToken ct)
    {
        if (fallback == _self)
        {
            var hints = Hints ?? throw new CometException(CometErrorCode.Unavailable, "This silo holds no hints yet.");
            await hints.StoreAsync(target, request, ct).ConfigureAwait(false);
            return;
        }
        var connection = await _silos.ConnectAsync(fallback, ct).ConfigureAwait(false);
        using var answer = await connection.RequestAsync((ushort)SiloOpcode.StoreHint, (target, request), Hint.Message, ct).ConfigureAwait(false);
    }

    /// <summary>Failure detection: one round trip to <paramref name="silo"/>.</summary>
    public async ValueTask PingAsync(string silo, CancellationToken ct)
    {
        var connection = await _silos.ConnectAsync(silo, ct).ConfigureAwait(false);
        using var answer = await connection.RequestAsync((ushort)SiloOpcode.Ping, ReadOnlyMemory<byte>.Empty, ct).ConfigureAwait(false);
    }

    /// <summary>Gossip: tells <paramref name="silo"/> to re-read the membership table.</summary>
    public async ValueTask NotifyMembershipChangedAsync(string silo, CancellationToken ct)
    {
        var connection = await _silos.ConnectAsync(silo, ct).ConfigureAwait(false);
        using var answer = await connection.RequestAsync((ushort)SiloOpcode.MembershipChanged, ReadOnlyMemory<byte>.Empty, ct).ConfigureAwait(false);
    }

    public async ValueTask<ReplicaGetResponse> GetAsync(string silo, ObjectKey key, ReplicaGetRequest request, CancellationToken ct)
    {
        if (silo == _self) return await _catalog.GetAsync(key, request, ct).ConfigureAwait(false);
        var connection = await _silos.ConnectAsync(silo, ct).ConfigureAwait(false);
        using var answer = await connection.RequestAsync((ushort)SiloOpcode.ReplicaGet, request, MessageCodec.ReplicaGet, ct).ConfigureAwait(false);
        var reader = new PayloadReader(answer.Span);
        return ReplicaGetResponse.ReadFrom(ref reader);
    }

    public async ValueTask<HistoryResponse> HistoryAsync(string silo, ObjectKey key, HistoryRequest request, CancellationToken ct)
    {
        if (silo == _self) return await _catalog.HistoryAsync(key, ct).ConfigureAwait(false);
        var connection = await _silos.ConnectAsync(silo, ct).ConfigureAwait(false);
        using var answer = await connection.RequestAsync((ushort)SiloOpcode.ReplicaHistory, request, MessageCodec.History, ct).ConfigureAwait(false);
        var reader = new PayloadReader(answer.Span);
        return HistoryResponse.ReadFrom(ref reader);
    }

    public async ValueTask<IReadOnlyList<VersionEntry>> FetchAsync(string silo, ObjectKey key, CancellationToken ct)
    {
        if (silo == _self) return await _catalog.FetchAsync(key, ct).ConfigureAwait(false);
        var connection = await _silos.ConnectAsync(silo, ct).ConfigureAwait(false);
        using var answer = await connection.RequestAsync((ushort)SiloOpcode.ReplicaFetch, key, static (buffer, k) =>
        {
            var w = new PayloadWriter(buffer);
            w.WriteString(k.Namespace);
            w.WriteString(k.Key);
        }, ct).ConfigureAwait(false);
        var reader = new PayloadReader(answer.Span);
        return Repair.RepairMessages.ReadEntries(ref reader);
    }
}
