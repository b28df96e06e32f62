using Comet.Abstractions.Keys;
using Comet.Abstractions.Options;

namespace Comet.Grains;

/// <summary>
/// How the grid replicates and keeps objects (bound from configuration section <c>Comet:Grid</c>);
/// every silo of a cluster must agree on <see cref="Partitions"/>, <see cref="Spares"/> and the namespaces.
/// </summary>
public sealed class CometGridOptions
{
    /// <summary>Number of equal ring partitions Q (a power of two).</summary>
    public int Partitions { get; set; } = 1024;

    /// <summary>Spare silos past the preference list that an ASO's <c>comet.lookup()</c> names.</summary>
    public int Spares { get; set; } = 2;

    /// <summary>Versions each replica keeps for history, the live ones included (V).</summary>
    public int HistoryDepth { get; set; } = 8;

    /// <summary>Bytes of values kept in one key's history; older versions beyond it keep only their metadata.</summary>
    public int HistoryBudgetBytes { get; set; } = 512 * 1024;

    /// <summary>How long a coordinator waits for replicas before answering with what it has.</summary>
    public TimeSpan ReplicaTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a coordinator waits for the replica that gives a write its version before it asks the next one.
    /// A replica slower than this may still store the write, which then exists twice (two sibling versions of
    /// the same value, never a lost one); a dead silo fails at once, so this only matters for a frozen one.
    /// </summary>
    public TimeSpan CoordinateTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a neighbour call from another replica's handler waits for this replica's turn;
    /// handlers of two replicas calling each other would otherwise wait on each other.
    /// </summary>
    public TimeSpan NeighbourTurnWait { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Replica-local state changed by handlers (a get counter) is written at most this long after the change.</summary>
    public TimeSpan StateFlushDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How often each silo compares the replicas of the partitions it owns and copies what they lack.</summary>
    public TimeSpan AntiEntropyPeriod { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Neighbour calls (<c>comet.get</c>/<c>comet.put</c> from another replica's handler) one replica accepts per second,
    /// over a sliding window: the sender's own limit bounds one object, this one bounds what all of a key's replicas
    /// together can ask of one replica. Calls past it fail in the sender's handler with RateLimited.
    /// </summary>
    public int MaxIncomingNeighbourCallsPerSecond { get; set; } = 40;

    /// <summary>
    /// How long a key that is deleted or expired everywhere stays in storage before anti-entropy removes it (Cassandra's
    /// gc_grace): longer than <see cref="AntiEntropyPeriod"/>, so every replica has seen the deletion before any forgets it.
    /// </summary>
    public TimeSpan TombstoneGrace { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Period of the reminder that brings an object with a timer back after its silo (or the whole cluster)
    /// restarted; the grain timer drives <c>onTimer</c> itself while the object is active.
    /// </summary>
    public TimeSpan TimerReminderPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Dev mode: anonymous clients from loopback may use namespaces that allow it.</summary>
    public bool DevMode { get; set; } = true;

    /// <summary>Application namespaces, by name. A request to any other namespace is refused.</summary>
    public Dictionary<string, NamespaceOptions> Namespaces { get; set; } = new(StringComparer.Ordinal)
    {
        ["default"] = new NamespaceOptions { AllowAnonymous = true },
    };

    /// <summary>Size limits on keys, values and code.</summary>
    public ObjectLimits Limits { get; set; } = new();

    public void Validate()
    {
        if (Partitions < 1 || (Partitions & (Partitions - 1)) != 0) throw new ArgumentException("Comet:Grid:Partitions must be a power of two.");
        if (HistoryDepth < 1) throw new ArgumentException("Comet:Grid:HistoryDepth must be at least 1.");
        if (Spares < 0) throw new ArgumentException("Comet:Grid:Spares must not be negative.");
        if (AntiEntropyPeriod <= TimeSpan.Zero || TimerReminderPeriod <= TimeSpan.Zero)
            throw new ArgumentException("Comet:Grid:AntiEntropyPeriod and TimerReminderPeriod must be positive.");
        if (MaxIncomingNeighbourCallsPerSecond is < 1 or > 100_000)
            throw new ArgumentException("Comet:Silo:MaxIncomingNeighbourCallsPerSecond must be 1..100000.");
        if (TombstoneGrace <= AntiEntropyPeriod)
            throw new ArgumentException("Comet:Silo:TombstoneGrace must be longer than AntiEntropyPeriod, or a replica could forget a deletion another has not seen yet.");
        if (ReplicaTimeout <= TimeSpan.Zero || CoordinateTimeout <= TimeSpan.Zero || NeighbourTurnWait <= TimeSpan.Zero)
            throw new ArgumentException("Comet:Grid timeouts must be positive.");
        Limits.Validate();
        foreach (var (name, ns) in Namespaces)
        {
            ObjectKey.ValidateNamespace(name, Limits);
            ns.Validate(name);
        }
    }
}
