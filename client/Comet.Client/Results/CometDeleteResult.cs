namespace Comet.Client;

/// <summary>A stored delete: a tombstone version that hides every version its context had seen.</summary>
/// <param name="Version">The tombstone's version id.</param>
/// <param name="Context">The causal context after the delete.</param>
/// <param name="Replicas">How many replicas acknowledged before the answer (at least W).</param>
public sealed record CometDeleteResult(string Version, string Context, int Replicas);
