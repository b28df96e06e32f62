namespace Comet.Sandbox;

/// <summary>
/// Who made a request; becomes <c>caller = { ip, id, node, args }</c> in Lua (absent fields are
/// nil). <paramref name="Node"/> is set when the request came from another replica or ASO: that
/// handler call may not make neighbour calls (no recursion, no amplification), and
/// <c>comet.lookup/get/put</c> raise "neighbour calls are not allowed in a request from another ASO".
/// </summary>
/// <param name="Ip">The client's address.</param>
/// <param name="Id">The client or application id.</param>
/// <param name="Node">The calling silo's id, when the request comes from another replica or ASO.</param>
/// <param name="Args">The table sent with the request (<c>caller.args</c>); a fresh copy each call.</param>
public sealed record AsoCaller(string? Ip, string? Id, string? Node, AsoValue? Args)
{
    /// <summary>A caller with no fields (for tests and internal requests).</summary>
    public static AsoCaller Anonymous { get; } = new(null, null, null, null);
}
