using Comet.Abstractions.Protocol;

namespace Comet.Grid.Grains;

/// <summary>What one silo holds for one key, for the admin key inspector and for tests.</summary>
public sealed record ReplicaInspection(
    string Silo,
    string Namespace,
    string Key,
    IReadOnlyList<ReplicaVersionInspection> Live,
    int HistoryCount,
    double? TimerPeriodSeconds);

/// <summary>One live version at one replica. <see cref="Data"/> is the passive value, or the ASO's current state as UTF-8 JSON.</summary>
public sealed record ReplicaVersionInspection(
    string Version,
    ObjectKind Kind,
    long WrittenAtMs,
    long ExpiresAtMs,
    string? Code,
    ReadOnlyMemory<byte> Data,
    object? HandlerStats);
