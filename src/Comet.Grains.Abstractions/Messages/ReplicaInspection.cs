using Comet.Abstractions.Protocol;

namespace Comet.Grains;

/// <summary>What one replica holds for one key, for the admin key inspector and for tests.</summary>
[GenerateSerializer, Immutable, Alias("comet.replica-inspection")]
public sealed record ReplicaInspection(
    [property: Id(0)] string Silo,
    [property: Id(1)] int Replica,
    [property: Id(2)] string Namespace,
    [property: Id(3)] string Key,
    [property: Id(4)] IReadOnlyList<ReplicaVersionInspection> Live,
    [property: Id(5)] int HistoryCount,
    [property: Id(6)] double? TimerPeriodSeconds);

/// <summary>One live version at one replica. <see cref="Data"/> is the passive value, or the ASO's current state as UTF-8 JSON.</summary>
[GenerateSerializer, Immutable, Alias("comet.replica-version-inspection")]
public sealed record ReplicaVersionInspection(
    [property: Id(0)] string Version,
    [property: Id(1)] ObjectKind Kind,
    [property: Id(2)] long WrittenAtMs,
    [property: Id(3)] long ExpiresAtMs,
    [property: Id(4)] string? Code,
    [property: Id(5)] ReadOnlyMemory<byte> Data,
    [property: Id(6)] long HandlerCalls,
    [property: Id(7)] long HandlerFailures,
    [property: Id(8)] long HeapBytes);
