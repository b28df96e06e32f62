using System.Text.Json;

namespace Comet.Admin.Api;

// Answers of the admin API. Those that one silo asks another for (through SiloAdminService) are
// Orleans messages too: [GenerateSerializer], immutable once built.

/// <summary><c>GET /admin/cluster</c>: the silos in Orleans's membership, as this silo sees them.</summary>
public sealed record ClusterAnswer(string Self, long ViewVersion, int Partitions, IReadOnlyList<SiloAnswer> Silos);

/// <summary>
/// One silo's row. <see cref="Status"/> is the Orleans membership status (Joining, Active,
/// ShuttingDown, Dead); <see cref="Live"/> says whether it is on the ring now. Its HTTP address,
/// state and uptime come from the silo itself (null when it did not answer, with <see cref="Error"/>);
/// <see cref="Activations"/> from Orleans's runtime statistics.
/// </summary>
public sealed record SiloAnswer(
    string Id,
    string Address,
    string Status,
    bool Live,
    bool IsSelf,
    string Host,
    int SiloPort,
    int GatewayPort,
    int? HttpPort,
    string? HttpAddress,
    DateTimeOffset StartedAt,
    DateTimeOffset LastIAmAlive,
    double? UptimeSeconds,
    int? Activations,
    int PartitionsOwned,
    string? State,
    string? Error);

/// <summary><c>GET /admin/silo</c>, and what a silo tells another about itself.</summary>
[GenerateSerializer, Immutable, Alias("comet.admin.silo-description")]
public sealed record LocalSiloAnswer(
    [property: Id(0)] string Id,
    [property: Id(1)] string Address,
    [property: Id(2)] string State,
    [property: Id(3)] DateTimeOffset StartedAt,
    [property: Id(4)] double UptimeSeconds,
    [property: Id(5)] string? HttpAddress,
    [property: Id(6)] long ViewVersion,
    [property: Id(7)] IReadOnlyList<string> LiveSilos);

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

/// <summary><c>GET /admin/keys/{ns}/{key}</c>: the key's replica grains 0..N-1, each as it holds the key.</summary>
public sealed record KeyAnswer(string Namespace, string Key, int Partition, IReadOnlyList<string> PreferenceList, IReadOnlyList<ReplicaAnswer> Replicas);

/// <summary>
/// Replica <see cref="Rank"/> of a key: the silo its grain is active on (<see cref="Silo"/>) and the
/// one the ring names for it (<see cref="RingSilo"/>; they differ while a grain moves back after a
/// failure). <see cref="Reachable"/> false (with <see cref="Error"/>) when it did not answer.
/// </summary>
public sealed record ReplicaAnswer(
    string Silo,
    string? RingSilo,
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
public sealed record HandlerStatsAnswer(long Calls, long Failures, long HeapBytes);

/// <summary>
/// <c>GET /admin/metrics</c>: this silo's client operations (REST and SDK) over the last
/// <see cref="WindowSeconds"/> complete seconds, totals since start, error answers by code
/// (<see cref="HandlerFailures"/>: those an object's handler or sandbox caused), and a
/// per-second series for charts; with <c>scope=cluster</c> also every live silo's figures.
/// </summary>
[GenerateSerializer, Immutable, Alias("comet.admin.metrics")]
public sealed record MetricsAnswer(
    [property: Id(0)] string Silo,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] int WindowSeconds,
    [property: Id(3)] double OpsPerSecond,
    [property: Id(4)] LatencyAnswer Latency,
    [property: Id(5)] IReadOnlyDictionary<string, OpAnswer> Ops,
    [property: Id(6)] IReadOnlyDictionary<string, long> Errors,
    [property: Id(7)] IReadOnlyDictionary<string, long> HandlerFailures,
    [property: Id(8)] int? Activations,
    [property: Id(9)] IReadOnlyList<SeriesPoint> Series,
    [property: Id(10)] ClusterMetricsAnswer? Cluster);

/// <summary>One op: count since start, rate over the window, latency percentiles over the window (null without samples).</summary>
[GenerateSerializer, Immutable, Alias("comet.admin.op")]
public sealed record OpAnswer([property: Id(0)] long Total, [property: Id(1)] double PerSecond, [property: Id(2)] double? P50Ms, [property: Id(3)] double? P99Ms);

[GenerateSerializer, Immutable, Alias("comet.admin.latency")]
public sealed record LatencyAnswer([property: Id(0)] double? P50Ms, [property: Id(1)] double? P99Ms);

/// <summary>One second: its time (unix ms), the ops served in it and their latency percentiles.</summary>
[GenerateSerializer, Immutable, Alias("comet.admin.series-point")]
public sealed record SeriesPoint([property: Id(0)] long T, [property: Id(1)] long Ops, [property: Id(2)] double? P50Ms, [property: Id(3)] double? P99Ms);

/// <summary>The cluster's aggregate: summed rates, totals and errors, and each silo's own figures.</summary>
[GenerateSerializer, Immutable, Alias("comet.admin.cluster-metrics")]
public sealed record ClusterMetricsAnswer(
    [property: Id(0)] double OpsPerSecond,
    [property: Id(1)] IReadOnlyDictionary<string, double> PerSecondByOp,
    [property: Id(2)] IReadOnlyDictionary<string, long> TotalsByOp,
    [property: Id(3)] IReadOnlyDictionary<string, long> Errors,
    [property: Id(4)] IReadOnlyDictionary<string, long> HandlerFailures,
    [property: Id(5)] IReadOnlyList<SiloMetricsSummary> Silos);

[GenerateSerializer, Immutable, Alias("comet.admin.silo-metrics")]
public sealed record SiloMetricsSummary(
    [property: Id(0)] string Silo,
    [property: Id(1)] bool Reachable,
    [property: Id(2)] double OpsPerSecond,
    [property: Id(3)] double? P50Ms,
    [property: Id(4)] double? P99Ms,
    [property: Id(5)] string? Error);

/// <summary>What a drain or stop did (or, forwarded, what the silo it names answered).</summary>
[GenerateSerializer, Immutable, Alias("comet.admin.silo-action")]
public sealed record SiloActionAnswer([property: Id(0)] string Silo, [property: Id(1)] string Action, [property: Id(2)] string Status, [property: Id(3)] string Message);
