using System.Collections.Concurrent;
using Comet.Abstractions.Errors;
using Comet.Sandbox;

namespace Comet.Samples.Tests.Support;

/// <summary>
/// An in-memory stand-in for the grid's neighbour API: a fixed neighbour list (comet.lookup), and
/// per node an optional sandboxed replica of the key. A neighbour get runs that replica's onGet with
/// caller.node set (so the no-recursion rule applies, as on the grid); a neighbour put loads the
/// object's code with the pushed data on that node and runs its onPut, replacing what was there.
/// Nodes in <see cref="Down"/> fail; nodes without a replica answer ok with no value.
/// </summary>
internal sealed class FakeNeighbourhood : IAsoNeighbours
{
    private readonly AsoRuntime _runtime;

    public FakeNeighbourhood(AsoRuntime runtime, params string[] nodes)
    {
        _runtime = runtime;
        Nodes = nodes.Length == 0 ? ["n1", "n2", "n3"] : nodes;
    }

    public IReadOnlyList<string> Nodes { get; set; }

    public ConcurrentDictionary<string, AsoObject> Replicas { get; } = new();

    public HashSet<string> Down { get; } = [];

    public ConcurrentQueue<(string From, IReadOnlyList<string> Nodes, AsoValue Data)> Puts { get; } = new();

    public ConcurrentQueue<(string From, IReadOnlyList<string> Nodes, AsoValue? Args)> Gets { get; } = new();

    public static string IpOf(string node) => "10.0.0." + (node.Length > 0 && char.IsDigit(node[^1]) ? node[^1] : '9');

    /// <summary>Loads <paramref name="code"/> as the replica of <paramref name="key"/> on <paramref name="node"/>.</summary>
    public AsoObject Load(string node, string code, string key = "sample-key", AsoValue? data = null)
    {
        var obj = _runtime.Load(new AsoContext("default", key, node, IpOf(node), code), code,
            data is null ? ReadOnlySpan<byte>.Empty : AsoStateCodec.Encode(data), this);
        if (Replicas.TryGetValue(node, out var old)) old.Dispose();
        Replicas[node] = obj;
        return obj;
    }

    public ValueTask<IReadOnlyList<string>> LookupAsync(AsoContext self, CancellationToken ct) => ValueTask.FromResult(Nodes);

    public async ValueTask<IReadOnlyList<NeighbourReply>> GetAsync(AsoContext self, IReadOnlyList<string> nodes, AsoValue? args, CancellationToken ct)
    {
        Gets.Enqueue((self.NodeId, nodes, args));
        var replies = new List<NeighbourReply>();
        foreach (var node in nodes)
        {
            if (Down.Contains(node))
            {
                replies.Add(new NeighbourReply(node, false, null, "Unavailable: " + node + " is down"));
                continue;
            }
            if (!Replicas.TryGetValue(node, out var replica))
            {
                replies.Add(new NeighbourReply(node, true, null, null));
                continue;
            }
            try
            {
                var outcome = await replica.OnGetAsync(new AsoCaller(self.NodeIp, null, self.NodeId, args), ct);
                replies.Add(new NeighbourReply(node, true, outcome.Result, null));
            }
            catch (AsoException ex)
            {
                replies.Add(new NeighbourReply(node, false, null, $"{ex.Code}: {ex.Message}"));
            }
        }
        return replies;
    }

    public async ValueTask<IReadOnlyList<NeighbourReply>> PutAsync(AsoContext self, IReadOnlyList<string> nodes, AsoValue data, CancellationToken ct)
    {
        Puts.Enqueue((self.NodeId, nodes, data));
        var replies = new List<NeighbourReply>();
        foreach (var node in nodes)
        {
            if (Down.Contains(node))
            {
                replies.Add(new NeighbourReply(node, false, null, "Unavailable: " + node + " is down"));
                continue;
            }
            var obj = _runtime.Load(new AsoContext(self.Namespace, self.Key, node, IpOf(node), self.Code), self.Code, AsoStateCodec.Encode(data), this);
            try
            {
                await obj.OnPutAsync(new AsoCaller(self.NodeIp, null, self.NodeId, null), ct);
            }
            catch (AsoException ex) when (ex.Code is CometErrorCode.Rejected or CometErrorCode.HandlerError)
            {
                obj.Dispose();
                replies.Add(new NeighbourReply(node, false, null, $"{ex.Code}: {ex.Message}"));
                continue;
            }
            if (Replicas.TryGetValue(node, out var old)) old.Dispose();
            Replicas[node] = obj;
            replies.Add(new NeighbourReply(node, true, null, null));
        }
        return replies;
    }
}
