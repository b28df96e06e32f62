using System.Net;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Keys;
using Comet.Abstractions.Protocol;
using Comet.Abstractions.Wire;
using Comet.Grid.Grains;
using Microsoft.Extensions.Logging;

namespace Comet.Grid.Messaging;

/// <summary>
/// Serves every request frame a silo receives: client operations on the gateway port, replica
/// operations and forwarded client operations on the silo port. Any failure answers that one
/// request with a typed error; nothing a peer sends can take the silo down.
/// </summary>
public sealed partial class SiloRequestHandler : IFrameRequestHandler
{
    private readonly ClientGateway _gateway;
    private readonly Catalog _catalog;
    private readonly Comet.Abstractions.Options.ObjectLimits _limits;
    private readonly ILogger _logger;

    private readonly Repair.AntiEntropy _antiEntropy;
    public SiloRequestHandler(ClientGateway gateway, Catalog catalog, Repair.AntiEntropy antiEntropy,
        Comet.Abstractions.Options.ObjectLimits limits, ILogger logger)
    {
        _antiEntropy = antiEntropy;

        _gateway = gateway;
        _catalog = catalog;
        _limits = limits;
        _logger = logger;
    }

    /// <summary>Set once membership has started: gossip prompts it to re-read the table.</summary>
    public Membership.MembershipService? Membership { get; set; }

    /// <summary>This silo's hint store, for <see cref="SiloOpcode.StoreHint"/>.</summary>
    public Replication.HintedHandoff? Hints { get; set; }

    public async ValueTask HandleAsync(IncomingRequest request)
    {
        try
        {
            await DispatchAsync(request).ConfigureAwait(false);
        }
        catch (CometException ex)
        {
            await request.RespondErrorAsync(ex.Code, ex.Message).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // a bug serving one request fails that request, not the silo
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogUnexpected(_logger, request.Opcode, ex);
            await request.RespondErrorAsync(CometErrorCode.Internal, "The silo failed to serve this request: " + ex.Message).ConfigureAwait(false);
        }
    }

    private async ValueTask DispatchAsync(IncomingRequest request)
    {
        var fromSilo = request.Connection.RemoteHello.Role == NodeRole.Silo;
        var ct = CancellationToken.None;
        if (request.Opcode >= 100 && !fromSilo)
            throw new CometException(CometErrorCode.Forbidden, $"Operation {request.Opcode} is for silos; clients use operations 1-99.");
        switch (request.Opcode)
        {
            case (ushort)Opcode.Put:
            {
                var message = ClientGateway.Read(request.Payload, static (ref PayloadReader r) => PutRequest.ReadFrom(ref r));
                var answer = await _gateway.PutAsync(message, CallerOf(request), ct).ConfigureAwait(false);
                await request.RespondAsync(answer, MessageCodec.PutAnswer).ConfigureAwait(false);
                return;
            }
            case (ushort)Opcode.Get:
            {
                var message = ClientGateway.Read(request.Payload, static (ref PayloadReader r) => GetRequest.ReadFrom(ref r));
                var answer = await _gateway.GetAsync(message, CallerOf(request), ct).ConfigureAwait(false);
                await request.RespondAsync(answer, MessageCodec.GetAnswer).ConfigureAwait(false);
                return;
            }
            case (ushort)Opcode.Delete:
            {
                var message = ClientGateway.Read(request.Payload, static (ref PayloadReader r) => DeleteRequest.ReadFrom(ref r));
                var answer = await _gateway.DeleteAsync(message, CallerOf(request), ct).ConfigureAwait(false);
                await request.RespondAsync(answer, MessageCodec.PutAnswer).ConfigureAwait(false);
                return;
            }
            case (ushort)Opcode.History:
            {
                var message = ClientGateway.Read(request.Payload, static (ref PayloadReader r) => HistoryRequest.ReadFrom(ref r));
                var answer = await _gateway.HistoryAsync(message, CallerOf(request), ct).ConfigureAwait(false);
                await request.RespondAsync(answer, MessageCodec.HistoryAnswer).ConfigureAwait(false);
                return;
            }
            case (ushort)Opcode.ClusterView:
                await request.RespondAsync(_gateway.ClusterView(), MessageCodec.ClusterAnswer).ConfigureAwait(false);
                return;
            case (ushort)SiloOpcode.Forward:
            {
                var (answer, opcode) = await _gateway.ServeForwardedAsync(request.Payload, ct).ConfigureAwait(false);
                switch (opcode)
                {
                    case Opcode.Get:
                        await request.RespondAsync((GetResponse)answer, MessageCodec.GetAnswer).ConfigureAwait(false);
                        break;
                    case Opcode.History:
                        await request.RespondAsync((HistoryResponse)answer, MessageCodec.HistoryAnswer).ConfigureAwait(false);
                        break;
                    default:
                        await request.RespondAsync((PutResponse)answer, MessageCodec.PutAnswer).ConfigureAwait(false);
                        break;
                }
                return;
            }
            case (ushort)SiloOpcode.ReplicaPut:
            {
                var message = ClientGateway.Read(request.Payload, static (ref PayloadReader r) => ReplicaPutRequest.ReadFrom(ref r));
                var status = await _catalog.PutAsync(KeyOf(message.Namespace, message.Key), message, ct).ConfigureAwait(false);
                await request.RespondAsync(status, MessageCodec.PutStatus).ConfigureAwait(false);
                return;
            }
            case (ushort)SiloOpcode.ReplicaGet:
            {
                var message = ClientGateway.Read(request.Payload, static (ref PayloadReader r) => ReplicaGetRequest.ReadFrom(ref r));
                var answer = await _catalog.GetAsync(KeyOf(message.Namespace, message.Key), message, ct).ConfigureAwait(false);
                await request.RespondAsync(answer, MessageCodec.ReplicaGetAnswer).ConfigureAwait(false);
                return;
            }
            case (ushort)SiloOpcode.ReplicaHistory:
            {
                var message = ClientGateway.Read(request.Payload, static (ref PayloadReader r) => HistoryRequest.ReadFrom(ref r));
                var answer = await _catalog.HistoryAsync(KeyOf(message.Namespace, message.Key), ct).ConfigureAwait(false);
                await request.RespondAsync(answer, MessageCodec.HistoryAnswer).ConfigureAwait(false);
                return;
            }
            case (ushort)SiloOpcode.PartitionDigest:
            {
                var partition = ReadPartition(request.Payload.Span);
                var records = await _antiEntropy.LocalEntriesAsync(partition, null, ct).ConfigureAwait(false);
                var buckets = Repair.AntiEntropy.BucketHashes(records.Values);
                await request.RespondAsync(buckets, static (b, h) =>
                {
                    var w = new PayloadWriter(b);
                    Repair.RepairMessages.WriteDigest(ref w, h);
                }).ConfigureAwait(false);
                return;
            }
            case (ushort)SiloOpcode.PartitionKeys:
            {
                var r = new PayloadReader(request.Payload.Span);
                var partition = r.ReadLength(1 << 20);
                var count = r.ReadLength(Repair.PartitionDigest.Buckets);
                var wanted = new HashSet<int>();
                for (var i = 0; i < count; i++) wanted.Add(r.ReadLength(Repair.PartitionDigest.Buckets - 1));
                r.ExpectEnd();
                var records = await _antiEntropy.LocalEntriesAsync(partition, wanted, ct).ConfigureAwait(false);
                var keys = records.Values.Where(x => x.Live.Count > 0)
                    .Select(x => new Repair.DigestKey(x.Namespace, x.Key, Repair.PartitionDigest.EntryHash(x))).ToList();
                await request.RespondAsync(keys, static (b, k) =>
                {
                    var w = new PayloadWriter(b);
                    Repair.RepairMessages.WriteKeys(ref w, k);
                }).ConfigureAwait(false);
                return;
            }
            case (ushort)SiloOpcode.ReplicaFetch:
            {
                var r = new PayloadReader(request.Payload.Span);
                var key = KeyOf(r.ReadString(), r.ReadString());
                r.ExpectEnd();
                var record = await _catalog.FetchAsync(key, ct).ConfigureAwait(false);
                await request.RespondAsync(record, static (b, e) =>
                {
                    var w = new PayloadWriter(b);
                    Repair.RepairMessages.WriteEntries(ref w, e);
                }).ConfigureAwait(false);
                return;
            }
            case (ushort)SiloOpcode.Ping:
                await request.RespondAsync(ReadOnlyMemory<byte>.Empty).ConfigureAwait(false);
                return;
            case (ushort)SiloOpcode.MembershipChanged:
                Membership?.RequestRefresh();
                await request.RespondAsync(ReadOnlyMemory<byte>.Empty).ConfigureAwait(false);
                return;
            case (ushort)SiloOpcode.StoreHint:
            {
                var (target, message) = Replication.Hint.ReadMessage(request.Payload.Span);
                KeyOf(message.Namespace, message.Key);
                var hints = Hints ?? throw new CometException(CometErrorCode.Unavailable, "This silo is not ready to hold hints.");
                await hints.StoreAsync(target, message, ct).ConfigureAwait(false);
                await request.RespondAsync(ReadOnlyMemory<byte>.Empty).ConfigureAwait(false);
                return;
            }
            default:
                throw new CometException(CometErrorCode.BadRequest, $"Unknown operation {request.Opcode}.");
        }
    }

    private ObjectKey KeyOf(string ns, string key) => ObjectKey.Create(ns, key, _limits);

    private static int ReadPartition(ReadOnlySpan<byte> payload)
    {
        var r = new PayloadReader(payload);
        var partition = r.ReadLength(1 << 20);
        r.ExpectEnd();
        return partition;
    }

    private static CallerInfo CallerOf(IncomingRequest request)
    {
        var ip = (request.Connection.RemoteEndPoint as IPEndPoint)?.Address.ToString();
        var hello = request.Connection.RemoteHello;
        return hello.Role == NodeRole.Silo ? new CallerInfo(ip, null, hello.NodeId, null) : new CallerInfo(ip, hello.NodeId, null, null);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Serving operation {Opcode} failed unexpectedly")]
    private static partial void LogUnexpected(ILogger logger, ushort opcode, Exception ex);
}
