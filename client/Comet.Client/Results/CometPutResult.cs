namespace Comet.Client;

/// <summary>
/// A stored put (value or ASO).
/// </summary>
/// <param name="Version">The new version's id (e.g. <c>silo-1:42</c>); read it back with <see cref="GetOptions.Version"/>.</param>
/// <param name="Context">The causal context after this put: send it with a follow-up put to overwrite exactly this version.</param>
/// <param name="Replicas">How many replicas acknowledged before the answer (at least W).</param>
/// <param name="Created">True when the key had no version before this put.</param>
public sealed record CometPutResult(string Version, string Context, int Replicas, bool Created);
