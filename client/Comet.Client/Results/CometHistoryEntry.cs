using Comet.Abstractions.Protocol;

namespace Comet.Client;

/// <summary>One kept version of a key (OceanStore's time travel), newest first in <see cref="CometClient.HistoryAsync"/>.</summary>
/// <param name="Version">The version id; read it with <see cref="GetOptions.Version"/> while replicas keep it.</param>
/// <param name="Kind">A passive value, an ASO, or a tombstone (a delete).</param>
/// <param name="Live">True while this version is current (not superseded).</param>
/// <param name="WrittenAt">When the coordinator wrote it.</param>
/// <param name="ExpiresAt">When it expires; null when it never does.</param>
/// <param name="Code">The ASO's Lua source; null for values and tombstones.</param>
/// <param name="Value">The value or ASO state as written; null when the version was kept without its data (past the history byte budget).</param>
public sealed record CometHistoryEntry(
    string Version,
    ObjectKind Kind,
    bool Live,
    DateTimeOffset WrittenAt,
    DateTimeOffset? ExpiresAt,
    string? Code,
    ReadOnlyMemory<byte>? Value);
