using System.Net;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Protocol;
using Comet.Abstractions.Ring;

namespace Comet.Client.Routing;

/// <summary>
/// One immutable snapshot of the cluster as the client routes by it: the same <see cref="HashRing"/> the silos compute
/// from the same membership, and each silo's gateway endpoint. A key's request goes to its coordinator, the first silo
/// of its preference list, which is the owner of the key's partition (so routing costs one partition lookup, no
/// allocation). Before any view is known the map holds only the configured gateways, which forward every request.
/// </summary>
internal sealed class ClusterMap
{
    /// <summary>N used to pick the retry silo when a request names none: the store's default namespace N (DESIGN.md).</summary>
    public const int DefaultReplicas = 3;

    private readonly HashRing _ring;
    private readonly Dictionary<string, SiloRoute> _byId;
    private readonly SiloRoute[] _routes;
    private int _roundRobin;

    private ClusterMap(HashRing ring, SiloRoute[] routes, long membershipVersion, IReadOnlyList<CometSilo> silos)
    {
        if (routes.Length == 0) throw new ArgumentException("A cluster map needs at least one route.", nameof(routes));
        _ring = ring;
        _routes = routes;
        _byId = new Dictionary<string, SiloRoute>(routes.Length, StringComparer.Ordinal);
        foreach (var route in routes) _byId[route.Id] = route;
        MembershipVersion = membershipVersion;
        Silos = silos;
    }

    public HashRing Ring => _ring;

    /// <summary>The membership version of the silo that answered; -1 before any view is known.</summary>
    public long MembershipVersion { get; }

    /// <summary>The silos of the view (empty before any view is known).</summary>
    public IReadOnlyList<CometSilo> Silos { get; }

    /// <summary>True once the map comes from a cluster view with at least one silo.</summary>
    public bool HasSilos => !_ring.IsEmpty;

    /// <summary>The routes: one per silo, or the configured gateways before any view is known.</summary>
    public IReadOnlyList<SiloRoute> Routes => _routes;

    /// <summary>A map that only knows the configured gateways (they forward to coordinators).</summary>
    public static ClusterMap FromGateways(IReadOnlyList<EndPoint> gateways)
    {
        var routes = new SiloRoute[gateways.Count];
        for (var i = 0; i < routes.Length; i++) routes[i] = new SiloRoute("gateway:" + gateways[i], gateways[i]);
        return new ClusterMap(new HashRing([], 1), routes, -1, []);
    }

    /// <summary>
    /// The map of a cluster view. Routes of silos that were already in <paramref name="previous"/> at the same
    /// endpoint keep their cool-down. Throws <see cref="CometErrorCode.MalformedFrame"/> for a view no silo would send.
    /// </summary>
    public static ClusterMap FromView(ClusterViewResponse view, ClusterMap? previous)
    {
        ArgumentNullException.ThrowIfNull(view);
        if (view.Silos.Count == 0)
            throw new CometException(CometErrorCode.Unavailable, "The cluster view names no live silo yet; the cluster is still starting.");
        if (view.Partitions < 1 || (view.Partitions & (view.Partitions - 1)) != 0)
            throw new CometException(CometErrorCode.MalformedFrame, $"The cluster view has {view.Partitions} partitions; a ring needs a power of two.");
        var silos = new CometSilo[view.Silos.Count];
        var routes = new List<SiloRoute>(view.Silos.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < silos.Length; i++)
        {
            var s = view.Silos[i];
            silos[i] = new CometSilo(s.Id, s.Host, s.SiloPort, s.GatewayPort, s.HttpPort, s.Status);
            if (s.Id.Length == 0 || !seen.Add(s.Id))
                throw new CometException(CometErrorCode.MalformedFrame, $"The cluster view names silo '{s.Id}' twice or with an empty id.");
            EndPoint endPoint;
            try
            {
                endPoint = GatewayAddress.EndPointOf(s.Host, s.GatewayPort);
            }
            catch (ArgumentException ex)
            {
                throw new CometException(CometErrorCode.MalformedFrame, $"The cluster view gives silo '{s.Id}' the address '{s.Host}:{s.GatewayPort}': {ex.Message}", ex);
            }
            var route = new SiloRoute(s.Id, endPoint);
            if (previous is not null && previous._byId.TryGetValue(s.Id, out var old) && old.EndPoint.Equals(endPoint)) route.InheritFrom(old);
            routes.Add(route);
        }
        return new ClusterMap(new HashRing(seen, view.Partitions), [.. routes], view.MembershipVersion, silos);
    }

    /// <summary>True when <paramref name="view"/> names exactly the silos and endpoints of this map (no need to rebuild the ring).</summary>
    public bool Matches(ClusterViewResponse view)
    {
        if (!HasSilos || view.Silos.Count != Silos.Count || view.Partitions != _ring.Partitions) return false;
        for (var i = 0; i < Silos.Count; i++)
        {
            var a = Silos[i];
            var b = view.Silos[i];
            if (a.Id != b.Id || a.Host != b.Host || a.GatewayPort != b.GatewayPort || a.SiloPort != b.SiloPort || a.HttpPort != b.HttpPort || a.Status != b.Status)
                return false;
        }
        return true;
    }

    /// <summary>
    /// Where a request for the key goes: its coordinator (preference list entry 0), unless that silo is cooling down
    /// after a failure, then the next healthy silo of the list. Before a view is known: the gateways in turn.
    /// </summary>
    public SiloRoute CoordinatorOf(ulong keyHash)
    {
        if (_ring.IsEmpty) return Next();
        var owner = _byId[_ring.OwnerOf(_ring.PartitionOf(keyHash))];
        if (!owner.IsCoolingDown) return owner;
        return FallbackFor(keyHash, DefaultReplicas, owner) ?? owner;
    }

    /// <summary>
    /// Where to retry a request that <paramref name="failed"/> could not serve: the next silo of the key's preference
    /// list (healthy ones first), else any other silo (it forwards), else null when there is no other.
    /// </summary>
    public SiloRoute? FallbackFor(ulong keyHash, int n, SiloRoute failed)
    {
        if (!_ring.IsEmpty)
        {
            var preference = _ring.PreferenceList(keyHash, Math.Max(n, 2));
            SiloRoute? coolingDown = null;
            foreach (var id in preference)
            {
                var route = _byId[id];
                if (ReferenceEquals(route, failed) || route.Id == failed.Id) continue;
                if (!route.IsCoolingDown) return route;
                coolingDown ??= route;
            }
            if (coolingDown is not null) return coolingDown;
        }
        SiloRoute? any = null;
        var start = NextStart();
        for (var i = 0; i < _routes.Length; i++)
        {
            var route = _routes[(start + i) % _routes.Length];
            if (route.Id == failed.Id) continue;
            if (!route.IsCoolingDown) return route;
            any ??= route;
        }
        return any;
    }

    /// <summary>The routes in turn (healthy first), for requests that any silo can answer (the cluster view).</summary>
    public SiloRoute Next()
    {
        var start = NextStart();
        for (var i = 0; i < _routes.Length; i++)
        {
            var route = _routes[(start + i) % _routes.Length];
            if (!route.IsCoolingDown) return route;
        }
        return _routes[start];
    }

    private int NextStart() => (int)((uint)Interlocked.Increment(ref _roundRobin) % (uint)_routes.Length);

    /// <summary>The route of a silo id in this map, or null.</summary>
    public SiloRoute? Find(string siloId) => _byId.GetValueOrDefault(siloId);
}
