using Comet.Abstractions.Protocol;
using Comet.Abstractions.Versions;

namespace Comet.Grains;

/// <summary>Why a version reaches a replica, which decides the handlers that run.</summary>
public enum PutMode : byte
{
    /// <summary>A client's put: onUpdate of what it supersedes, then onPut of the new object.</summary>
    Client = 0,

    /// <summary>A copy made by the store (read repair, anti-entropy): no handlers run.</summary>
    Repair = 1,

    /// <summary>An ASO's <c>comet.put</c> from a neighbour replica: handlers run with caller.node set; same version, new data.</summary>
    Neighbour = 2,
}

public enum ReplicaPutStatus : byte
{
    Applied = 0,

    /// <summary>The replica already had this version.</summary>
    AlreadyKnown = 1,

    /// <summary>The replica has a newer version that supersedes it; nothing changed.</summary>
    Obsolete = 2,
}

/// <summary>
/// A new write for the coordinating replica, which gives it its version (the dot is this
/// replica's own counter, persisted with the record before anyone else sees the version, so
/// no two writes ever share a dot) and stores it before the coordinator fans it out.
/// <see cref="Context"/> null means "overwrite what this replica has".
/// </summary>
[GenerateSerializer, Immutable, Alias("comet.new-write")]
public sealed record NewWrite(
    [property: Id(0)] ObjectKind Kind,
    [property: Id(1)] string? Code,
    [property: Id(2)] ReadOnlyMemory<byte> Payload,
    [property: Id(3)] long ExpiresAtMs,
    [property: Id(4)] VectorClock? Context,
    [property: Id(5)] CallerInfo Caller,
    [property: Id(6)] int Replicas,
    [property: Id(7)] bool ReplicasChosen = false);

/// <summary>
/// The version the coordinating replica made and stored, whether the key had no version before,
/// the object's replication degree (chosen at its first put, kept by later ones), and whether
/// the object absorbed the put (<c>onUpdate</c> said "keep"): then <see cref="Entry"/> is the
/// object as its handler left it, which the other replicas copy rather than absorb the put again.
/// </summary>
[GenerateSerializer, Immutable, Alias("comet.coordinated-write")]
public sealed record CoordinatedWrite(
    [property: Id(0)] VersionEntry Entry,
    [property: Id(1)] bool Created,
    [property: Id(2)] int Replicas,
    [property: Id(3)] bool Absorbed);

[GenerateSerializer, Immutable, Alias("comet.replica-put")]
public sealed record ReplicaPut(
    [property: Id(0)] VersionEntry Entry,
    [property: Id(1)] PutMode Mode,
    [property: Id(2)] CallerInfo Caller,
    [property: Id(3)] int Replicas);

[GenerateSerializer, Immutable, Alias("comet.replica-read")]
public sealed record ReplicaRead(
    [property: Id(0)] string? Version,
    [property: Id(1)] CallerInfo Caller);

/// <summary>
/// One version a replica reports for a get. Tombstones and expired versions are reported as
/// <see cref="ObjectKind.Tombstone"/> so the coordinator can tell that they supersede older
/// versions another replica may still hold.
/// </summary>
[GenerateSerializer, Immutable, Alias("comet.replica-item")]
public sealed record ReplicaItem(
    [property: Id(0)] ObjectVersion Version,
    [property: Id(1)] ObjectKind Kind,
    [property: Id(2)] ReadOnlyMemory<byte> Data,
    [property: Id(3)] long ExpiresAtMs);

/// <summary>
/// A replica's answer to a get: its items, the object's replication degree as this replica
/// knows it (0: it never stored the key), and the tombstones the read made (<c>comet.deleteSelf</c>
/// in <c>onGet</c>), which the coordinator takes to every other replica before it answers.
/// </summary>
[GenerateSerializer, Immutable, Alias("comet.replica-read-result")]
public sealed record ReplicaReadResult(
    [property: Id(0)] IReadOnlyList<ReplicaItem> Items,
    [property: Id(1)] int Replicas = 0,
    [property: Id(2)] IReadOnlyList<VersionEntry>? Deleted = null);
