namespace Comet.Persistence.Sqlite;

/// <summary>The primary key of a grain state row.</summary>
internal readonly record struct GrainStateKey(string ServiceId, string StateName, string GrainId);
