using Comet.Abstractions.Protocol;

namespace Comet.Client;

/// <summary>
/// One kept version of a key (OceanStore's time travel), newest first in <see cref="CometClient.HistoryAsync"/>.
/// Metadata only: a value is read with <see cref="GetOptions.Version"/>, and an ASO's code and data are reached only
/// through its own handlers.
/// </summary>
/// <param name="Version">The version id; read it with <see cref="GetOptions.Version"/> while replicas keep its data.</param>
/// <param name="Kind">A passive value, an ASO, or a tombstone (a delete).</param>
/// <param name="Live">True while this version is current (not superseded).</param>
/// <param name="WrittenAt">When the coordinator wrote it.</param>
/// <param name="ExpiresAt">When it expires; null when it never does.</param>
/// <param name="Size">The bytes of its value, or of its ASO's code and state, when written.</param>
/// <param name="DataKept">False when replicas kept only this metadata (past the history byte budget): it can no longer be read by its id.</param>
public sealed record CometHistoryEntry(
    string Version,
    ObjectKind Kind,
    bool Live,
    DateTimeOffset WrittenAt,
    DateTimeOffset? ExpiresAt,
    int Size,
    bool DataKept);
