namespace Comet.Sandbox;

/// <summary>
/// How an ASO reaches the replicas of its own key (Comet's <c>comet.lookup/get/put</c>, used to
/// replace the default replication, as Vanish does). Implemented by the grid; tests use
/// in-memory fakes. All calls are asynchronous: the handler's coroutine is suspended meanwhile.
/// </summary>
/// <remarks>
/// <para>In Lua:</para>
/// <list type="bullet">
/// <item><c>comet.lookup()</c> returns an array of node id strings (<see cref="LookupAsync"/>).
/// Within one handler call the first answer is reused.</item>
/// <item><c>comet.get(key, nodes [, args])</c> and <c>comet.put(key, data, nodes)</c> return an
/// array with one record per reply, in the order the implementation returns them:
/// <c>{ node = "n2", ok = true, value = ... }</c> or <c>{ node = "n3", ok = false, error = "..." }</c>.</item>
/// <item><c>key</c> must be the object's own key; <c>nodes</c> must be a non-empty array of
/// distinct node ids that <see cref="LookupAsync"/> returns. The sandbox checks both (it calls
/// <see cref="LookupAsync"/> first when the handler did not), so implementations may trust them.</item>
/// <item>An exception from an implementation becomes a Lua error in the handler
/// ("comet.get: &lt;message&gt;"), which the handler may catch with <c>pcall</c>; cancellation of
/// the handler's token aborts the whole handler call.</item>
/// </list>
/// </remarks>
public interface IAsoNeighbours
{
    /// <summary>This key's neighbour node ids: its preference list plus spares.</summary>
    ValueTask<IReadOnlyList<string>> LookupAsync(AsoContext self, CancellationToken ct);

    /// <summary>Runs a get (the neighbours' onGet, with <paramref name="args"/> as <c>caller.args</c>) on each of <paramref name="nodes"/>.</summary>
    ValueTask<IReadOnlyList<NeighbourReply>> GetAsync(AsoContext self, IReadOnlyList<string> nodes, AsoValue? args, CancellationToken ct);

    /// <summary>Stores this object (its code, <see cref="AsoContext.Code"/>, with <paramref name="data"/> as its data) on each of <paramref name="nodes"/>.</summary>
    ValueTask<IReadOnlyList<NeighbourReply>> PutAsync(AsoContext self, IReadOnlyList<string> nodes, AsoValue data, CancellationToken ct);
}
