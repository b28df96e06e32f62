namespace Comet.Grains;

/// <summary>
/// What one replica grain persists through its grain storage: the replica record (live
/// versions and history, in the store's own binary form, <see cref="Comet.Abstractions.Versions.ReplicaRecord"/>)
/// and the replication degree the object was written with.
/// </summary>
[GenerateSerializer, Alias("comet.replica-state")]
public sealed class ReplicaState
{
    [Id(0)] public byte[]? Record { get; set; }

    /// <summary>N of the last write this replica stored (0 before the first).</summary>
    [Id(1)] public int Replicas { get; set; }

    /// <summary>Whether a reminder is registered to bring the object's timer back after a restart.</summary>
    [Id(2)] public bool HasTimerReminder { get; set; }
}

/// <summary>Names the grid's storage providers are registered under.</summary>
public static class CometStorage
{
    /// <summary>Grain storage of the replica grains.</summary>
    public const string Replicas = "replicas";
}
