namespace Comet.Client;

/// <summary>What a <see cref="CometClient"/> has done so far (<see cref="CometClient.Statistics"/>).</summary>
/// <param name="Requests">Requests that passed the local checks and were handed to the cluster (answered or not).</param>
/// <param name="Unavailable">Requests that failed because no silo could take them (<c>Unavailable</c>: no gateway, silo gone).</param>
/// <param name="Timeouts">Requests that got no answer within <see cref="CometClientOptions.RequestTimeout"/>.</param>
public sealed record CometClientStatistics(long Requests, long Unavailable, long Timeouts);
