using Comet.Abstractions.Keys;
using Comet.Abstractions.Protocol;
using Comet.Grid.Grains;
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
