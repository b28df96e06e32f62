using Comet.Abstractions.Versions;
using Comet.Abstractions.Options;

namespace Comet.Grid.Hosting;

/// <summary>
/// Everything one silo is configured with (bound from configuration section <c>Comet:Silo</c> and
/// command-line flags). Defaults follow Orleans for ports and DESIGN.md for the grid.
/// </summary>
public sealed class SiloOptions
{
    /// <summary>Stable id of this silo (its replicas are stored under it; keep it across restarts).</summary>
    public string SiloId { get; set; } = "silo-1";

    /// <summary>Address other silos and clients use to reach this silo.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>Silo-to-silo port (Orleans: 11111). 0 picks a free port.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Client gateway port for the binary protocol (Orleans: 30000). 0 picks a free port.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>HTTP port of the REST gateway and admin API. 0 picks a free port; -1 disables HTTP.</summary>
    public int HttpPort { get; set; } = 8080;

    /// <summary>Number of equal ring partitions Q (a power of two; every silo of a cluster must agree).</summary>
    public int Partitions { get; set; } = 1024;

    /// <summary>Spare silos past the preference list that an ASO's <c>comet.lookup()</c> names, and that hold hints.</summary>
    public int Spares { get; set; } = 2;

    /// <summary>Versions each replica keeps for history, the live ones included (V).</summary>
    public int HistoryDepth { get; set; } = 8;

    /// <summary>Bytes of values kept in one key's history; older versions beyond it keep only their metadata.</summary>
    public int HistoryBudgetBytes { get; set; } = 512 * 1024;

    /// <summary>An activation unused for this long is deactivated (its state is already persisted).</summary>
    public TimeSpan IdleActivationAge { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often idle activations are collected and dirty replica-local state is written.</summary>
    public TimeSpan CollectionPeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Replica-local state changed by handlers (a get counter) is written at most this long after the change.</summary>
    public TimeSpan StateFlushDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How long a coordinator waits for replicas before answering with what it has.</summary>
    public TimeSpan ReplicaTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a neighbour call from another replica's handler waits for this replica's turn
    /// before failing; handlers of two replicas calling each other would otherwise wait on each other.
    /// </summary>
    public TimeSpan NeighbourTurnWait { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How often this silo compares its partitions with the other replicas and pulls what it lacks.</summary>
    public TimeSpan AntiEntropyPeriod { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often this silo writes its IAmAlive time to the membership table.</summary>
    public TimeSpan IAmAlivePeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often this silo re-reads the membership table.</summary>
    public TimeSpan MembershipRefreshPeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A silo whose IAmAlive is older than this is not placed on the ring.</summary>
    public TimeSpan IAmAliveTimeout { get; set; } = TimeSpan.FromSeconds(8);

    /// <summary>How often this silo probes its ring successors (Orleans's ProbeTimeout period; 1 s suits loopback).</summary>
    public TimeSpan ProbePeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A probe not answered within this time counts as missed.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How many silos after this one (in silo-id order) it probes.</summary>
    public int ProbedSuccessors { get; set; } = 2;

    /// <summary>Consecutive missed probes after which this silo votes its target dead (Orleans: NumMissedProbesLimit).</summary>
    public int MissedProbesLimit { get; set; } = 3;

    /// <summary>Distinct fresh votes that declare a silo dead (capped by the number of other live silos).</summary>
    public int VotesForDeath { get; set; } = 2;

    /// <summary>Votes older than this no longer count (Orleans: DeathVoteExpirationTimeout).</summary>
    public TimeSpan DeathVoteExpiration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Hints (writes held for an unreachable replica) older than this are dropped; anti-entropy repairs the rest.</summary>
    public TimeSpan HintWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often this silo tries to deliver the hints it holds.</summary>
    public TimeSpan HintDeliveryPeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Time given to in-flight requests at a clean shutdown.</summary>
    public TimeSpan ShutdownGrace { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Dev mode: anonymous clients from loopback may use namespaces that allow it.</summary>
    public bool DevMode { get; set; } = true;

    /// <summary>Application namespaces, by name. A request to any other namespace is refused.</summary>
    public Dictionary<string, NamespaceOptions> Namespaces { get; set; } = new(StringComparer.Ordinal)
    {
        ["default"] = new NamespaceOptions { AllowAnonymous = true },
    };

    /// <summary>Size limits on keys, values and code.</summary>
    public ObjectLimits Limits { get; set; } = new();

    /// <summary>The admin key that guards the admin API (see <see cref="AdminOptions"/>).</summary>
    public AdminOptions Admin { get; set; } = new();

    /// <summary>API keys, cluster secret, TLS, fair storage admission and rate limits (see <see cref="Comet.Grid.Security.SecurityOptions"/>).</summary>
    public Comet.Grid.Security.SecurityOptions Security { get; set; } = new();

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(SiloId) || SiloId.Contains('/', StringComparison.Ordinal))
            throw new ArgumentException("SiloId must be non-empty and must not contain '/'.");
        if (Partitions < 1 || (Partitions & (Partitions - 1)) != 0) throw new ArgumentException("Partitions must be a power of two.");
        if (HistoryDepth < 1) throw new ArgumentException("HistoryDepth must be at least 1.");
        if (Spares < 0) throw new ArgumentException("Spares must not be negative.");
        if (ProbePeriod <= TimeSpan.Zero || ProbeTimeout <= TimeSpan.Zero) throw new ArgumentException("ProbePeriod and ProbeTimeout must be positive.");
        if (MissedProbesLimit < 1 || VotesForDeath < 1 || ProbedSuccessors < 1) throw new ArgumentException("MissedProbesLimit, VotesForDeath and ProbedSuccessors must be at least 1.");
        Limits.Validate();
        foreach (var (name, ns) in Namespaces)
        {
            Comet.Abstractions.Keys.ObjectKey.ValidateNamespace(name, Limits);
            ns.Validate(name);
        }
    }
}
