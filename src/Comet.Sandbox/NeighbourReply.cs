namespace Comet.Sandbox;

/// <summary>
/// One neighbour's answer to <c>comet.get</c> or <c>comet.put</c>. In Lua each becomes a record
/// <c>{ node = "&lt;id&gt;", ok = true|false, value = &lt;data or nil&gt;, error = "&lt;message&gt;" or nil }</c>;
/// <c>comet.get</c>/<c>comet.put</c> return a list of them (see <see cref="IAsoNeighbours"/>).
/// </summary>
/// <param name="Node">The neighbour's node id.</param>
/// <param name="Ok">Whether the neighbour answered (get) or stored/accepted the data (put).</param>
/// <param name="Value">What the neighbour's handler returned (its onGet result for a get), if anything.</param>
/// <param name="Error">Why it failed, when <paramref name="Ok"/> is false.</param>
public sealed record NeighbourReply(string Node, bool Ok, AsoValue? Value, string? Error);
