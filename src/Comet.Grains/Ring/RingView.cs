using Comet.Abstractions.Ring;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Comet.Grains;

/// <summary>
/// The hash ring of this silo's current membership view: Q partitions over the active silos'
/// names (rendezvous owners, <see cref="HashRing"/>), rebuilt when Orleans's membership
/// version changes. Silo names, not addresses, are hashed, so a restarted silo (new
/// generation, same name) takes back the partitions it had. Placement, coordinator and
/// neighbour calls all read the ring from here.
/// </summary>
public sealed class RingView
{
    private readonly IClusterMembershipService _membership;
    private readonly int _partitions;
    private Snapshot _current;

    public RingView(IClusterMembershipService membership, IOptions<CometGridOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _membership = membership;
        _partitions = options.Value.Partitions;
        _current = Build(membership.CurrentSnapshot, _partitions);
    }

    /// <summary>The ring for the newest membership snapshot this silo has.</summary>
    public Snapshot Current
    {
        get
        {
            var snapshot = _membership.CurrentSnapshot;
            var current = Volatile.Read(ref _current);
            if (current.Version == snapshot.Version) return current;
            var next = Build(snapshot, _partitions);
            Volatile.Write(ref _current, next);
            return next;
        }
    }

    private static Snapshot Build(ClusterMembershipSnapshot snapshot, int partitions)
    {
        var byName = new Dictionary<string, SiloAddress>(StringComparer.Ordinal);
        foreach (var (address, member) in snapshot.Members)
        {
            if (member.Status != SiloStatus.Active) continue;
            // A restarted silo keeps its name; its newest generation is the one to use.
            if (!byName.TryGetValue(member.Name, out var known) || address.Generation > known.Generation) byName[member.Name] = address;
        }
        return new Snapshot(snapshot.Version, new HashRing(byName.Keys, partitions), byName);
    }

    /// <summary>One immutable ring: the silos by name and where each name is now.</summary>
    public sealed class Snapshot(MembershipVersion version, HashRing ring, IReadOnlyDictionary<string, SiloAddress> addresses)
    {
        public MembershipVersion Version { get; } = version;

        public HashRing Ring { get; } = ring;

        public IReadOnlyDictionary<string, SiloAddress> Addresses { get; } = addresses;

        /// <summary>
        /// The silo name at position <paramref name="replica"/> of the key's walk (preference
        /// list, then spares). With fewer live silos than positions the walk wraps around, so
        /// every replica has a home while any silo lives (a sloppy quorum).
        /// </summary>
        public string? SiloFor(ulong keyHash, int replica)
        {
            if (Ring.IsEmpty) return null;
            var walk = Ring.PreferenceList(keyHash, replica + 1);
            return walk[replica % walk.Length];
        }
    }
}
