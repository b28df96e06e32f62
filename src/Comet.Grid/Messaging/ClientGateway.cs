using System.Buffers;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Keys;
using Comet.Abstractions.Protocol;
using Comet.Grid.Membership;
using Comet.Grid.Replication;

namespace Comet.Grid.Messaging;

/// <summary>
/// The front door every client operation goes through, from the binary gateway and from the
/// REST gateway alike: it coordinates the request here when this silo holds a replica of the
/// key, and otherwise forwards it to the key's coordinator with the caller's identity.
/// </summary>
public sealed class ClientGateway
{
    private readonly string _self;
    private readonly Coordinator _coordinator;
    private readonly SiloDirectory _silos;
    private readonly Func<MembershipView> _view;

    private readonly Comet.Abstractions.Options.ObjectLimits _limits;

    public ClientGateway(string self, Coordinator coordinator, SiloDirectory silos, Func<MembershipView> view, Comet.Abstractions.Options.ObjectLimits limits)
    {
        _limits = limits;
        _self = self;
        Metrics = new Hosting.OperationMetrics(self);
        _coordinator = coordinator;
        _silos = silos;
        _view = view;
    }

    public Coordinator Coordinator => _coordinator;

    /// <summary>Throughput and latency of the client operations received here (the admin API's metrics).</summary>
    public Hosting.OperationMetrics Metrics { get; }

    public ClusterViewResponse ClusterView() => _view().ToClusterView();

    public async ValueTask<PutResponse> PutAsync(PutRequest request, CallerInfo caller, CancellationToken ct)
    {
        using var timing = Metrics.Start(Hosting.ClientOp.Put);
        var key = ObjectKey.Create(request.Namespace, request.Key, _limits);
        var target = _coordinator.CoordinatorFor(key, request.Quorum);
        if (target == _self) return await _coordinator.PutAsync(request, caller, ct, key).ConfigureAwait(false);
        return await ForwardOrCoordinateAsync(target, Opcode.Put, request, MessageCodec.For<PutRequest>(static (m, ref w) => m.WriteTo(ref w)), caller,
            static (ref PayloadReader r) => PutResponse.ReadFrom(ref r), () => _coordinator.PutAsync(request, caller, ct, key), ct).ConfigureAwait(false);
    }

    public async ValueTask<PutResponse> DeleteAsync(DeleteRequest request, CallerInfo caller, CancellationToken ct)
    {
        using var timing = Metrics.Start(Hosting.ClientOp.Delete);
        var key = ObjectKey.Create(request.Namespace, request.Key, _limits);
        var target = _coordinator.CoordinatorFor(key, request.Quorum);
        if (target == _self) return await _coordinator.DeleteAsync(request, caller, ct, key).ConfigureAwait(false);
        return await ForwardOrCoordinateAsync(target, Opcode.Delete, request, MessageCodec.For<DeleteRequest>(static (m, ref w) => m.WriteTo(ref w)), caller,
            static (ref PayloadReader r) => PutResponse.ReadFrom(ref r), () => _coordinator.DeleteAsync(request, caller, ct, key), ct).ConfigureAwait(false);
    }

    public async ValueTask<GetResponse> GetAsync(GetRequest request, CallerInfo caller, CancellationToken ct)
    {
        using var timing = Metrics.Start(Hosting.ClientOp.Get);
        var key = ObjectKey.Create(request.Namespace, request.Key, _limits);
        var target = _coordinator.CoordinatorFor(key, request.Quorum);
        if (target == _self) return await _coordinator.GetAsync(request, caller, ct, key).ConfigureAwait(false);
        return await ForwardOrCoordinateAsync(target, Opcode.Get, request, MessageCodec.For<GetRequest>(static (m, ref w) => m.WriteTo(ref w)), caller,
            static (ref PayloadReader r) => GetResponse.ReadFrom(ref r), () => _coordinator.GetAsync(request, caller, ct, key), ct).ConfigureAwait(false);
    }

    public async ValueTask<HistoryResponse> HistoryAsync(HistoryRequest request, CallerInfo caller, CancellationToken ct)
    {
        using var timing = Metrics.Start(Hosting.ClientOp.History);
        var key = ObjectKey.Create(request.Namespace, request.Key, _limits);
        var target = _coordinator.CoordinatorFor(key, default);
        if (target == _self) return await _coordinator.HistoryAsync(request, ct, key).ConfigureAwait(false);
        return await ForwardOrCoordinateAsync(target, Opcode.History, request, MessageCodec.History, caller,
            static (ref PayloadReader r) => HistoryResponse.ReadFrom(ref r), () => _coordinator.HistoryAsync(request, ct, key), ct).ConfigureAwait(false);
    }

    /// <summary>Serves a client operation forwarded by another silo: always coordinated here, never forwarded again.</summary>
    internal async ValueTask<(object Response, Opcode Opcode)> ServeForwardedAsync(ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        CallerInfo caller;
        Opcode opcode;
        ReadOnlyMemory<byte> inner;
        {
            var r = new PayloadReader(payload.Span);
            caller = CallerInfo.ReadFrom(ref r);
            opcode = (Opcode)r.ReadVarUInt();
            inner = payload[(payload.Length - r.Remaining)..];
        }
        switch (opcode)
        {
            case Opcode.Put:
                return (await _coordinator.PutAsync(Read(inner, static (ref PayloadReader r) => PutRequest.ReadFrom(ref r)), caller, ct).ConfigureAwait(false), opcode);
            case Opcode.Delete:
                return (await _coordinator.DeleteAsync(Read(inner, static (ref PayloadReader r) => DeleteRequest.ReadFrom(ref r)), caller, ct).ConfigureAwait(false), opcode);
            case Opcode.Get:
                return (await _coordinator.GetAsync(Read(inner, static (ref PayloadReader r) => GetRequest.ReadFrom(ref r)), caller, ct).ConfigureAwait(false), opcode);
            case Opcode.History:
                return (await _coordinator.HistoryAsync(Read(inner, static (ref PayloadReader r) => HistoryRequest.ReadFrom(ref r)), ct).ConfigureAwait(false), opcode);
            default:
                throw new CometException(CometErrorCode.BadRequest, $"Operation {opcode} cannot be forwarded.");
        }
    }

    internal delegate T ReadMessage<out T>(ref PayloadReader reader);

    internal static T Read<T>(ReadOnlyMemory<byte> payload, ReadMessage<T> read)
    {
        var r = new PayloadReader(payload.Span);
        var message = read(ref r);
        r.ExpectEnd();
        return message;
    }

    /// <summary>
    /// Forwards a client operation to its coordinator. When that silo cannot be reached (it
    /// crashed and the membership has not noticed yet) this silo coordinates the request itself:
    /// any silo may coordinate (Dynamo), and its own dot keeps the new version unique.
    /// </summary>
    private async ValueTask<TResponse> ForwardOrCoordinateAsync<T, TResponse>(string target, Opcode opcode, T request, Action<IBufferWriter<byte>, T> write,
        CallerInfo caller, ReadMessage<TResponse> read, Func<ValueTask<TResponse>> coordinateHere, CancellationToken ct)
    {
        try
        {
            using var answer = await ForwardAsync(target, opcode, request, write, caller, ct).ConfigureAwait(false);
            return Read(answer.Memory, read);
        }
        catch (CometException ex) when (ex.Code == CometErrorCode.Unavailable && !ct.IsCancellationRequested)
        {
            return await coordinateHere().ConfigureAwait(false);
        }
    }

    private async ValueTask<Comet.Abstractions.Wire.FramePayload> ForwardAsync<T>(string target, Opcode opcode, T request, Action<IBufferWriter<byte>, T> write,
        CallerInfo caller, CancellationToken ct)
    {
        var connection = await _silos.ConnectAsync(target, ct).ConfigureAwait(false);
        return await connection.RequestAsync((ushort)SiloOpcode.Forward, (caller, opcode, request, write), static (buffer, s) =>
        {
            var w = new PayloadWriter(buffer);
            s.caller.WriteTo(ref w);
            w.WriteVarUInt((ulong)s.opcode);
            s.write(buffer, s.request);
        }, ct).ConfigureAwait(false);
    }
}
