using System.Text.Json;

namespace Comet.Admin.Api;

/// <summary><c>GET /admin/cluster</c>: every silo in the membership table, as this silo sees it.</summary>
public sealed record ClusterAnswer(string Self, long ViewVersion, int Partitions, IReadOnlyList<SiloAnswer> Silos);

/// <summary>
/// One silo's row. <see cref="Status"/> is the membership status (Joining, Active,
/// ShuttingDown, Dead); <see cref="Live"/> says whether it is on the ring now (Active with a
/// recent IAmAlive). <see cref="Activations"/> comes from the silo itself, null when unreachable.
/// </summary>
public sealed record SiloAnswer(
    string Id,
    string Status,
    bool Live,
    bool IsSelf,
    string Host,
    int SiloPort,
    int GatewayPort,
    int HttpPort,
    DateTimeOffset StartedAt,
    DateTimeOffset LastIAmAlive,
    double? UptimeSeconds,
    int? Activations,
    int PartitionsOwned,
    string? State,
    string? Error);

/// <summary><c>GET /admin/silo</c>: this silo about itself.</summary>
public sealed record LocalSiloAnswer(string Id, string State, DateTimeOffset StartedAt, double UptimeSeconds, int Activations, long ViewVersion, IReadOnlyList<string> LiveSilos);

/// <summary>
/// <c>GET /admin/ring</c>: Q partitions; <see cref="PreferenceLists"/>[p] is partition p's
/// preference list (its owner first), <see cref="Owned"/> the partitions each silo owns and
/// <see cref="Replicas"/> the partitions each silo holds a replica of.
/// </summary>
public sealed record RingAnswer(
    int Partitions,
    int ReplicationFactor,
    long ViewVersion,
    IReadOnlyList<string> Silos,
    IReadOnlyDictionary<string, int> Owned,
    IReadOnlyDictionary<string, int> Replicas,
    IReadOnlyList<string[]> PreferenceLists);

/// <summary><c>GET /admin/keys/{ns}/{key}</c>: the key's replicas on its preference list, each as that silo holds it.</summary>
public sealed record KeyAnswer(string Namespace, string Key, int Partition, IReadOnlyList<string> PreferenceList, IReadOnlyList<ReplicaAnswer> Replicas);

/// <summary>One silo's replica of a key; <see cref="Reachable"/> false (with <see cref="Error"/>) when the silo did not answer.</summary>
public sealed record ReplicaAnswer(
    string Silo,
    int Rank,
    bool Reachable,
    string? Error,
    IReadOnlyList<VersionAnswer> Versions,
    int HistoryCount,
    double? TimerPeriodSeconds);

/// <summary>
/// One live version at one replica. An ASO has <see cref="Code"/>, its data fields as
/// <see cref="State"/> and its <see cref="Handler"/> statistics (while activated); a passive value
/// has <see cref="Value"/> (when UTF-8) and always <see cref="Base64"/>.
/// </summary>
public sealed record VersionAnswer(
    string Version,
    string Kind,
    DateTimeOffset WrittenAt,
    DateTimeOffset? ExpiresAt,
    bool Expired,
    string? Code,
    JsonElement? State,
    string? Value,
    string? Base64,
    HandlerStatsAnswer? Handler);

/// <summary>An ASO's handler statistics at one replica since it was activated there.</summary>
public sealed record HandlerStatsAnswer(
    long Calls,
    long Failures,
    IReadOnlyDictionary<string, long> FailuresByCode,
    long LastInstructions,
    long TotalInstructions,
    long NeighbourCalls,
    long HeapBytes,
    long PeakHeapBytes);

/// <summary>
/// <c>GET /admin/metrics</c>: this silo's client operations over the last
/// <see cref="WindowSeconds"/> complete seconds, totals since start, handler failures, and a
/// per-second series for charts; with <c>scope=cluster</c> also every live silo's figures.
/// </summary>
public sealed record MetricsAnswer(
    string Silo,
    DateTimeOffset At,
    int WindowSeconds,
    double OpsPerSecond,
    LatencyAnswer Latency,
    IReadOnlyDictionary<string, OpAnswer> Ops,
    IReadOnlyDictionary<string, long> HandlerFailures,
    int Activations,
    IReadOnlyList<SeriesPoint> Series,
    ClusterMetricsAnswer? Cluster);

/// <summary>One op: count since start, rate over the window, latency percentiles over the window (null without samples).</summary>
public sealed record OpAnswer(long Total, double PerSecond, double? P50Ms, double? P99Ms);

public sealed record LatencyAnswer(double? P50Ms, double? P99Ms);

/// <summary>One second: its time (unix ms), the ops served in it and their latency percentiles.</summary>
public sealed record SeriesPoint(long T, long Ops, double? P50Ms, double? P99Ms);

/// <summary>The cluster's aggregate: summed rates and failures, and each silo's own figures.</summary>
public sealed record ClusterMetricsAnswer(
    double OpsPerSecond,
    IReadOnlyDictionary<string, double> PerSecondByOp,
    IReadOnlyDictionary<string, long> TotalsByOp,
    IReadOnlyDictionary<string, long> HandlerFailures,
    IReadOnlyList<SiloMetricsSummary> Silos);

public sealed record SiloMetricsSummary(string Silo, bool Reachable, double OpsPerSecond, double? P50Ms, double? P99Ms, string? Error);

/// <summary>What a drain or stop did.</summary>
public sealed record SiloActionAnswer(string Silo, string Action, string Status, string Message);
