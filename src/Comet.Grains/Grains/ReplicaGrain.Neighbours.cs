using Comet.Abstractions.Errors;
using Comet.Abstractions.Protocol;
using Comet.Sandbox;

namespace Comet.Grains;

public sealed partial class ReplicaGrain
{
    /// <summary>
    /// The grid side of an ASO's neighbour API (<c>comet.lookup/get/put</c>, Comet's way for an
    /// object to replace the default replication): lookup names the silos of the key's walk
    /// (preference list plus spares); get and put reach only the replica grains of the same key
    /// on those silos, and carry this silo as <c>caller.node</c>, so the receiving replica may
    /// not call further (no recursion). A busy replica (its own handler may be waiting on a call
    /// to this one) is waited for at most <see cref="CometGridOptions.NeighbourTurnWait"/>.
    /// </summary>
    private sealed class AsoNeighbours(ReplicaGrain grain) : IAsoNeighbours
    {
        public ValueTask<IReadOnlyList<string>> LookupAsync(AsoContext self, CancellationToken ct) =>
            ValueTask.FromResult<IReadOnlyList<string>>(Walk());

        public async ValueTask<IReadOnlyList<NeighbourReply>> GetAsync(AsoContext self, IReadOnlyList<string> nodes, AsoValue? args, CancellationToken ct)
        {
            ArgumentNullException.ThrowIfNull(self);
            ArgumentNullException.ThrowIfNull(nodes);
            var walk = Walk();
            var read = new ReplicaRead(null, new CallerInfo(self.NodeIp, null, self.NodeId, args?.ToJson()));
            var tasks = new Task<NeighbourReply>[nodes.Count];
            for (var i = 0; i < nodes.Count; i++) tasks[i] = GetOneAsync(nodes[i], walk, read, ct);
            return await Task.WhenAll(tasks).ConfigureAwait(true);
        }

        public async ValueTask<IReadOnlyList<NeighbourReply>> PutAsync(AsoContext self, IReadOnlyList<string> nodes, AsoValue data, CancellationToken ct)
        {
            ArgumentNullException.ThrowIfNull(self);
            ArgumentNullException.ThrowIfNull(nodes);
            var walk = Walk();
            var entry = grain._record.Live.Find(e => e.Kind == ObjectKind.Aso && e.Code == self.Code)
                ?? throw new CometException(CometErrorCode.Internal, "The object's own version is not known here.");
            var state = AsoStateCodec.Encode(data);
            var limit = grain._options.Limits.MaxValueBytes;
            if (state.Length > limit)
                return nodes.Select(n => new NeighbourReply(n, false, null, $"data is {state.Length} bytes; the limit is {limit}")).ToArray();
            var put = new ReplicaPut(entry with { Payload = state, WrittenAtMs = grain.NowMs() }, PutMode.Neighbour,
                new CallerInfo(self.NodeIp, null, self.NodeId, null), grain._replicas);
            var tasks = new Task<NeighbourReply>[nodes.Count];
            for (var i = 0; i < nodes.Count; i++) tasks[i] = PutOneAsync(nodes[i], walk, put, ct);
            return await Task.WhenAll(tasks).ConfigureAwait(true);
        }

        /// <summary>The key's neighbours: its N replicas' silos, then the spares.</summary>
        private string[] Walk()
        {
            var n = grain._replicas > 0 ? grain._replicas
                : grain._options.Namespaces.TryGetValue(grain._key.Namespace, out var ns) ? ns.N : 3;
            return grain._ring.Current.Ring.PreferenceList(grain._key.Hash, n + grain._options.Spares);
        }

        private string? Refuse(string node, string[] walk) =>
            Array.IndexOf(walk, node) < 0 ? $"{node} is not a neighbour of this key"
            : node == grain.SiloName ? "a neighbour call cannot target this replica itself"
            : null;

        // The silo's grain factory, not the grain's: handlers resume on pool threads, outside the activation's turn.
        private IReplicaGrain ReplicaOn(string node, string[] walk) =>
            grain._grains.GetGrain<IReplicaGrain>(ReplicaGrainKey.Format(grain._key.Namespace, grain._key.Key, Array.IndexOf(walk, node)));

        private async Task<NeighbourReply> GetOneAsync(string node, string[] walk, ReplicaRead read, CancellationToken ct)
        {
            if (Refuse(node, walk) is { } refusal) return new NeighbourReply(node, false, null, refusal);
            try
            {
                var answer = await ReplicaOn(node, walk).ReadAsync(read).WaitAsync(grain._options.NeighbourTurnWait, ct).ConfigureAwait(true);
                foreach (var item in answer.Items)
                {
                    if (item.Kind == ObjectKind.Tombstone) continue;
                    var value = item.Kind == ObjectKind.Aso ? AsoInterop.FromJson(item.Data.Span) : AsoValue.FromUtf8(item.Data.Span);
                    return new NeighbourReply(node, true, value, null);
                }
                return new NeighbourReply(node, true, null, null);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                return new NeighbourReply(node, false, null, Describe(ex));
            }
        }

        private async Task<NeighbourReply> PutOneAsync(string node, string[] walk, ReplicaPut put, CancellationToken ct)
        {
            if (Refuse(node, walk) is { } refusal) return new NeighbourReply(node, false, null, refusal);
            try
            {
                await ReplicaOn(node, walk).ApplyAsync(put).WaitAsync(grain._options.NeighbourTurnWait, ct).ConfigureAwait(true);
                return new NeighbourReply(node, true, null, null);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                return new NeighbourReply(node, false, null, Describe(ex));
            }
        }

        private static string Describe(Exception ex) => ex switch
        {
            CometException c => $"{c.Code}: {c.Message}",
            TimeoutException => "Timeout: the neighbour replica is busy in a handler of its own (perhaps waiting on a neighbour call); neighbour calls do not wait for it.",
            _ => $"Unavailable: {ex.Message}",
        };
    }
}
