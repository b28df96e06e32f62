using Comet.Abstractions.Protocol;

namespace Comet.Grains;

/// <summary>Store a passive value or an ASO. <see cref="Context"/> is the causal context token of a previous get (null: overwrite what the coordinating replica has).</summary>
[GenerateSerializer, Immutable, Alias("comet.put")]
public sealed record PutCommand(
    [property: Id(0)] string Namespace,
    [property: Id(1)] string Key,
    [property: Id(2)] ObjectKind Kind,
    [property: Id(3)] ReadOnlyMemory<byte> Value,
    [property: Id(4)] string? Code,
    [property: Id(5)] string? Context,
    [property: Id(6)] int? TtlSeconds,
    [property: Id(7)] QuorumOptions Quorum,
    [property: Id(8)] string? ArgsJson);

/// <summary>
/// A successful put: the new version's id, the context to send with a follow-up put, how many
/// replicas acknowledged, and whether the key had no version before (REST answers 201 then).
/// </summary>
[GenerateSerializer, Immutable, Alias("comet.put-result")]
public sealed record PutResult(
    [property: Id(0)] string Version,
    [property: Id(1)] string Context,
    [property: Id(2)] int Replicas,
    [property: Id(3)] bool Created);

/// <summary>Read a key: the live version(s), or one kept version by id.</summary>
[GenerateSerializer, Immutable, Alias("comet.get")]
public sealed record GetCommand(
    [property: Id(0)] string Namespace,
    [property: Id(1)] string Key,
    [property: Id(2)] string? Version,
    [property: Id(3)] QuorumOptions Quorum,
    [property: Id(4)] string? ArgsJson);

/// <summary>
/// One version in a get answer. For a passive value <see cref="Data"/> is its bytes; for an ASO
/// it is the UTF-8 JSON of what <c>onGet</c> returned (or of <c>aso.value</c>).
/// </summary>
[GenerateSerializer, Immutable, Alias("comet.get-item")]
public sealed record GetItem(
    [property: Id(0)] string Version,
    [property: Id(1)] ObjectKind Kind,
    [property: Id(2)] ReadOnlyMemory<byte> Data,
    [property: Id(3)] long ExpiresAtMs);

/// <summary>The answer to a get: one item normally, several when concurrent versions (siblings) exist.</summary>
[GenerateSerializer, Immutable, Alias("comet.get-result")]
public sealed record GetResult(
    [property: Id(0)] IReadOnlyList<GetItem> Items,
    [property: Id(1)] string Context);

[GenerateSerializer, Immutable, Alias("comet.delete")]
public sealed record DeleteCommand(
    [property: Id(0)] string Namespace,
    [property: Id(1)] string Key,
    [property: Id(2)] string? Context,
    [property: Id(3)] QuorumOptions Quorum,
    [property: Id(4)] string? ArgsJson);

[GenerateSerializer, Immutable, Alias("comet.history")]
public sealed record HistoryQuery(
    [property: Id(0)] string Namespace,
    [property: Id(1)] string Key);

/// <summary>
/// One kept version (OceanStore's time travel): metadata only. An ASO's code and data are
/// reached only through its own handlers, so history never carries them.
/// </summary>
[GenerateSerializer, Immutable, Alias("comet.history-item")]
public sealed record HistoryItem(
    [property: Id(0)] string Version,
    [property: Id(1)] ObjectKind Kind,
    [property: Id(2)] bool Live,
    [property: Id(3)] long WrittenAtMs,
    [property: Id(4)] long ExpiresAtMs,
    [property: Id(5)] int Size,
    [property: Id(6)] bool DataKept);

[GenerateSerializer, Immutable, Alias("comet.history-result")]
public sealed record HistoryResult([property: Id(0)] IReadOnlyList<HistoryItem> Items);
