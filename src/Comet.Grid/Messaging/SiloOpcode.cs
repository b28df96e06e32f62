namespace Comet.Grid.Messaging;

/// <summary>Silo-to-silo requests (100 and up; see <see cref="Comet.Abstractions.Protocol.Opcode"/>).</summary>
public enum SiloOpcode : ushort
{
    /// <summary>Store one version at a replica (coordinator → replica, repair, neighbour put).</summary>
    ReplicaPut = 100,
    /// <summary>Read a replica's live versions, running each ASO's onGet there.</summary>
    ReplicaGet = 101,
    /// <summary>Read a replica's kept versions.</summary>
    ReplicaHistory = 102,
    /// <summary>A client operation forwarded by the gateway silo that received it to the key's coordinator: caller, then the client opcode and payload.</summary>
    Forward = 103,
    /// <summary>Anti-entropy: the bucket hashes of what a silo holds for one ring partition.</summary>
    PartitionDigest = 104,
    /// <summary>Anti-entropy: the keys (with their version hashes) in some buckets of one partition.</summary>
    PartitionKeys = 105,
    /// <summary>Anti-entropy: a key's live versions, with their data, to copy to a replica that lacks them.</summary>
    ReplicaFetch = 106,
    /// <summary>Failure detection: answers at once, empty both ways.</summary>
    Ping = 107,
    /// <summary>Gossip: the sender changed a membership row; re-read the table now. Empty both ways.</summary>
    MembershipChanged = 108,
    /// <summary>Sloppy quorum: hold this replica put for a target silo that could not be reached (target, then the put).</summary>
    StoreHint = 109,
}

/// <summary>Why a version is being stored at a replica; it decides which handlers run.</summary>
public enum PutMode : byte
{
    /// <summary>A client's put: onUpdate of what it supersedes, then onPut of the new object.</summary>
    Client = 0,
    /// <summary>A copy made by the store (read repair, handoff, anti-entropy): no handlers run.</summary>
    Repair = 1,
    /// <summary>An ASO's <c>comet.put</c> from a neighbour replica: handlers run with caller.node set.</summary>
    Neighbour = 2,
}

/// <summary>What a replica did with a version it was sent.</summary>
public enum ReplicaPutStatus : byte
{
    Applied = 0,
    /// <summary>The replica already had this version.</summary>
    AlreadyKnown = 1,
    /// <summary>The replica has a newer version that supersedes it; nothing changed.</summary>
    Obsolete = 2,
}
