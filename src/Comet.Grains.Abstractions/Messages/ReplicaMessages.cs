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
    [property: Id(6)] int Replicas);

/// <summary>The version the coordinating replica made and stored, and whether the key had no version before.</summary>
[GenerateSerializer, Immutable, Alias("comet.coordinated-write")]
public sealed record CoordinatedWrite(
    [property: Id(0)] VersionEntry Entry,
    [property: Id(1)] bool Created);

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

[GenerateSerializer, Immutable, Alias("comet.replica-read-result")]
public sealed record ReplicaReadResult([property: Id(0)] IReadOnlyList<ReplicaItem> Items);
