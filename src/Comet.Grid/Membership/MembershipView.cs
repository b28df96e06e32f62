using Comet.Abstractions.Protocol;
using Comet.Abstractions.Ring;

namespace Comet.Grid.Membership;

/// <summary>An immutable snapshot of who is in the cluster and the ring they form.</summary>
public sealed class MembershipView
{
    public MembershipView(long version, IReadOnlyList<MembershipEntry> entries, IReadOnlyCollection<string> live, int partitions)
    {
        Version = version;
        Entries = entries;
        Live = new HashSet<string>(live, StringComparer.Ordinal);
        Ring = new HashRing(live, partitions);
        foreach (var e in entries) _byId[e.SiloId] = e;
    }

    private readonly Dictionary<string, MembershipEntry> _byId = new(StringComparer.Ordinal);

    /// <summary>Increases whenever the live set changes.</summary>
    public long Version { get; }

    public IReadOnlyList<MembershipEntry> Entries { get; }

    public IReadOnlySet<string> Live { get; }

    public HashRing Ring { get; }

    public MembershipEntry? Find(string siloId) => _byId.GetValueOrDefault(siloId);

    public bool IsLive(string siloId) => Live.Contains(siloId);

    public ClusterViewResponse ToClusterView() =>
        new(Version, Ring.Partitions, Entries.Where(e => Live.Contains(e.SiloId)).Select(e => e.ToEndpoint()).ToArray());
}
