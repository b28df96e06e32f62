namespace Comet.Client;

/// <summary>What a <see cref="CometClient"/> has done so far (<see cref="CometClient.Statistics"/>).</summary>
/// <param name="Retries">Requests retried on a second silo after the first answered Unavailable.</param>
/// <param name="ViewRefreshes">Cluster views read.</param>
/// <param name="MembershipVersion">The membership version of the view routed by now; -1 before any view.</param>
/// <param name="RequestsBySilo">Requests sent to each silo of the current view (attempts, retries included).</param>
public sealed record CometClientStatistics(long Retries, long ViewRefreshes, long MembershipVersion, IReadOnlyDictionary<string, long> RequestsBySilo);
