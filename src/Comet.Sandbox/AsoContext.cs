namespace Comet.Sandbox;

/// <summary>
/// The identity of an object at this replica: what <c>comet.getASOKey()</c>,
/// <c>comet.getNodeID()</c> and <c>comet.getNodeIP()</c> answer, and what the grid needs to
/// route the object's neighbour calls. <paramref name="Code"/> is the object's Lua source (a
/// neighbour put ships the same code).
/// </summary>
public sealed record AsoContext(string Namespace, string Key, string NodeId, string NodeIp, string Code);
