using Comet.Abstractions.Errors;
using Comet.Abstractions.Keys;
using Comet.Grid.Hosting;
using Comet.Grid.Membership;
using Comet.Grid.Messaging;
using Comet.Grid.Replication;
using Comet.Sandbox;

namespace Comet.Grid.Grains;

/// <summary>
/// The grid side of an ASO's neighbour API (<c>comet.lookup/get/put</c>, Comet's way for an
/// object to replace the default replication): lookup names the key's preference list plus
/// spares; get and put reach only those silos, only for the object's own key, and carry this
/// silo as <c>caller.node</c>, so the receiving replica may not call further (no recursion).
/// </summary>
public sealed class GridNeighbours : IAsoNeighbours
{
    private readonly SiloOptions _options;
    private readonly Func<MembershipView> _view;
    private readonly SiloDirectory _silos;
    private readonly TimeProvider _time;

    public GridNeighbours(SiloOptions options, Func<MembershipView> view, SiloDirectory silos, TimeProvider time)
    {
        _options = options;
        _view = view;
        _silos = silos;
        _time = time;
    }

    /// <summary>Set once the catalog exists; used to find the version a neighbour put ships.</summary>
    public Catalog? Catalog { get; set; }

    public ValueTask<IReadOnlyList<string>> LookupAsync(AsoContext self, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(self);
        return ValueTask.FromResult<IReadOnlyList<string>>(Neighbours(self));
    }

    public async ValueTask<IReadOnlyList<NeighbourReply>> GetAsync(AsoContext self, IReadOnlyList<string> nodes, AsoValue? args, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(self);
        ArgumentNullException.ThrowIfNull(nodes);
        var allowed = Neighbours(self);
        var request = new ReplicaGetRequest(self.Namespace, self.Key, null,
            new CallerInfo(self.NodeIp, null, self.NodeId, args is null ? null : AsoInterop.ToJsonString(args)));
        var tasks = new Task<NeighbourReply>[nodes.Count];
        for (var i = 0; i < nodes.Count; i++) tasks[i] = GetOneAsync(nodes[i], allowed, self, request, ct);
        return await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<NeighbourReply>> PutAsync(AsoContext self, IReadOnlyList<string> nodes, AsoValue data, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(self);
        ArgumentNullException.ThrowIfNull(nodes);
        var allowed = Neighbours(self);
        var entry = Catalog?.CurrentEntry(ObjectKey.Create(self.Namespace, self.Key, _options.Limits), self.Code)
            ?? throw new CometException(CometErrorCode.Internal, "The object's own version is not known here.");
        var state = AsoStateCodec.Encode(data);
        if (state.Length > _options.Limits.MaxValueBytes)
            return nodes.Select(n => new NeighbourReply(n, false, null, $"data is {state.Length} bytes; the limit is {_options.Limits.MaxValueBytes}")).ToArray();
        var request = new ReplicaPutRequest(self.Namespace, self.Key, entry with { Payload = state, WrittenAtMs = _time.GetUtcNow().ToUnixTimeMilliseconds() },
            PutMode.Neighbour, new CallerInfo(self.NodeIp, null, self.NodeId, null));
        var tasks = new Task<NeighbourReply>[nodes.Count];
        for (var i = 0; i < nodes.Count; i++) tasks[i] = PutOneAsync(nodes[i], allowed, request, ct);
        return await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    private string[] Neighbours(AsoContext self)
    {
        var n = _options.Namespaces.TryGetValue(self.Namespace, out var ns) ? ns.N : 3;
        return _view().Ring.PreferenceList(ObjectKey.Create(self.Namespace, self.Key, _options.Limits).Hash, n + _options.Spares);
    }

    private async Task<NeighbourReply> GetOneAsync(string node, string[] allowed, AsoContext self, ReplicaGetRequest request, CancellationToken ct)
    {
        if (Array.IndexOf(allowed, node) < 0) return new NeighbourReply(node, false, null, $"{node} is not a neighbour of this key");
        if (node == self.NodeId) return new NeighbourReply(node, false, null, "a neighbour call cannot target this replica itself");
        try
        {
            var connection = await _silos.ConnectAsync(node, ct).ConfigureAwait(false);
            using var answer = await connection.RequestAsync((ushort)SiloOpcode.ReplicaGet, request, MessageCodec.ReplicaGet, ct).ConfigureAwait(false);
            var reader = new Abstractions.Protocol.PayloadReader(answer.Span);
            var response = ReplicaGetResponse.ReadFrom(ref reader);
            foreach (var item in response.Items)
            {
                if (item.Kind == Abstractions.Protocol.ObjectKind.Tombstone) continue;
                var value = item.Kind == Abstractions.Protocol.ObjectKind.Aso ? AsoInterop.FromJson(item.Data.Span) : AsoInterop.FromBytes(item.Data.Span);
                return new NeighbourReply(node, true, value, null);
            }
            return new NeighbourReply(node, true, null, null);
        }
        catch (CometException ex)
        {
            return new NeighbourReply(node, false, null, $"{ex.Code}: {ex.Message}");
        }
    }

    private async Task<NeighbourReply> PutOneAsync(string node, string[] allowed, ReplicaPutRequest request, CancellationToken ct)
    {
        if (Array.IndexOf(allowed, node) < 0) return new NeighbourReply(node, false, null, $"{node} is not a neighbour of this key");
        if (node == request.Caller.Node) return new NeighbourReply(node, false, null, "a neighbour call cannot target this replica itself");
        try
        {
            var connection = await _silos.ConnectAsync(node, ct).ConfigureAwait(false);
            using var answer = await connection.RequestAsync((ushort)SiloOpcode.ReplicaPut, request, MessageCodec.ReplicaPut, ct).ConfigureAwait(false);
            return new NeighbourReply(node, true, null, null);
        }
        catch (CometException ex)
        {
            return new NeighbourReply(node, false, null, $"{ex.Code}: {ex.Message}");
        }
    }
}
