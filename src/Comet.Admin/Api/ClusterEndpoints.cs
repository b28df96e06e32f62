using System.Globalization;
using Comet.Abstractions.Errors;
using Comet.Admin.Silos;
using Comet.Grains;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Comet.Admin.Api;

/// <summary>
/// <c>/admin/cluster</c>, <c>/admin/silo</c> and <c>/admin/ring</c>: who is in the cluster and what
/// each silo owns. Membership, ports and start times come from Orleans
/// (<see cref="IManagementGrain.GetDetailedHosts"/>), activations from its runtime statistics,
/// each silo's HTTP address and state from that silo's <see cref="ISiloAdminService"/>, and the
/// ring from <see cref="RingView"/>, the same view placement uses.
/// </summary>
public static class ClusterEndpoints
{
    public static RouteGroupBuilder MapClusterEndpoints(this RouteGroupBuilder admin)
    {
        admin.MapGet("/cluster", (HttpRequest request) => ClusterAsync(request.HttpContext))
            .WithName("GetCluster").WithTags("Cluster")
            .WithSummary("The silos in Orleans's membership: status, whether on the ring, address and ports, uptime, activations, partitions owned. Dead silos are listed for an hour after they died (all=true: all).")
            .WithMetadata(new OpenApi.QueryParameter("all", "boolean", "Also silos that died long ago."))
            .Produces<ClusterAnswer>();
        admin.MapGet("/silo", (HttpContext http) => AdminJson.Ok(Describe(http.RequestServices.GetRequiredService<SiloAdmin>(),
                http.RequestServices.GetRequiredService<IClusterMembershipService>())))
            .WithName("GetSilo").WithTags("Cluster")
            .WithSummary("This silo about itself: state (running, draining, drained, stopping), uptime, HTTP address, the live silos it sees.")
            .Produces<LocalSiloAnswer>();
        admin.MapGet("/ring", (HttpContext http) => Ring(http))
            .WithName("GetRing").WithTags("Cluster")
            .WithSummary("The ring: each partition's preference list (owner first), partitions owned and replicated per silo. Query n: replicas per list (default: namespace 'default''s N).")
            .WithMetadata(new OpenApi.QueryParameter("n", "integer", "Length of each preference list (1-16)."))
            .Produces<RingAnswer>()
            .Produces<Gateway.Rest.ErrorAnswer>(StatusCodes.Status400BadRequest);
        return admin;
    }

    /// <summary>What this silo says about itself (to <c>/admin/silo</c> and to other silos).</summary>
    public static LocalSiloAnswer Describe(SiloAdmin admin, IClusterMembershipService membership)
    {
        ArgumentNullException.ThrowIfNull(admin);
        ArgumentNullException.ThrowIfNull(membership);
        var snapshot = membership.CurrentSnapshot;
        var live = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (_, member) in snapshot.Members)
            if (member.Status == SiloStatus.Active) live.Add(member.Name);
        return new LocalSiloAnswer(admin.Name, admin.Address.ToParsableString(), admin.State, admin.StartedAt,
            (DateTimeOffset.UtcNow - admin.StartedAt).TotalSeconds, admin.HttpAddress, snapshot.Version.Value, [.. live]);
    }

    private static async Task<IResult> ClusterAsync(HttpContext http)
    {
        var services = http.RequestServices;
        var self = services.GetRequiredService<SiloAdmin>();
        var options = services.GetRequiredService<IOptions<AdminOptions>>().Value;
        var grains = services.GetRequiredService<IGrainFactory>();
        var peers = services.GetRequiredService<ISiloAdminClient>();
        var membership = services.GetRequiredService<IClusterMembershipService>();
        var ring = services.GetRequiredService<RingView>().Current;
        var management = grains.GetGrain<IManagementGrain>(0);
        var all = http.Request.Query.TryGetValue("all", out var allText) && allText == "true";

        MembershipEntry[] hosts;
        try
        {
            hosts = await management.GetDetailedHosts(onlyActive: false).WaitAsync(options.PeerTimeout, http.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OrleansException or SiloUnavailableException)
        {
            return AdminJson.Error(CometErrorCode.Unavailable, "Orleans's membership did not answer: " + ex.Message);
        }

        var now = DateTimeOffset.UtcNow;
        var shown = new List<MembershipEntry>(hosts.Length);
        foreach (var h in hosts)
        {
            if (all || h.Status != SiloStatus.Dead || now - LastSeen(h) <= options.DeadSilosShownFor) shown.Add(h);
        }
        shown.Sort((a, b) => a.SiloName != b.SiloName
            ? string.CompareOrdinal(a.SiloName, b.SiloName)
            : b.SiloAddress.Generation.CompareTo(a.SiloAddress.Generation));

        var active = shown.Where(h => h.Status == SiloStatus.Active).Select(h => h.SiloAddress).ToArray();
        var activations = new Dictionary<SiloAddress, int>();
        try
        {
            var statistics = await management.GetRuntimeStatistics(active).WaitAsync(options.PeerTimeout, http.RequestAborted).ConfigureAwait(false);
            for (var i = 0; i < active.Length && i < statistics.Length; i++) activations[active[i]] = statistics[i].ActivationCount;
        }
        catch (Exception ex) when (ex is TimeoutException or OrleansException or SiloUnavailableException)
        {
            // Activations stay unknown; the rest of the view is still right.
        }

        var described = await Task.WhenAll(shown.Select(h => DescribeAsync(h, self, membership, peers, options.PeerTimeout))).ConfigureAwait(false);
        var owned = ring.Ring.OwnershipCounts();
        var silos = new List<SiloAnswer>(shown.Count);
        for (var i = 0; i < shown.Count; i++)
        {
            var h = shown[i];
            var (local, error) = described[i];
            var live = ring.Addresses.TryGetValue(h.SiloName, out var onRing) && onRing.Equals(h.SiloAddress);
            var started = new DateTimeOffset(DateTime.SpecifyKind(h.StartTime, DateTimeKind.Utc));
            var httpAddress = local?.HttpAddress;
            silos.Add(new SiloAnswer(h.SiloName, h.SiloAddress.ToParsableString(), h.Status.ToString(), live, h.SiloAddress.Equals(self.Address),
                h.SiloAddress.Endpoint.Address.ToString(), h.SiloAddress.Endpoint.Port, h.ProxyPort, PortOf(httpAddress), httpAddress,
                started, new DateTimeOffset(DateTime.SpecifyKind(h.IAmAliveTime, DateTimeKind.Utc)),
                h.Status == SiloStatus.Active ? local?.UptimeSeconds ?? (now - started).TotalSeconds : null,
                activations.TryGetValue(h.SiloAddress, out var count) ? count : null,
                live ? owned.GetValueOrDefault(h.SiloName) : 0, local?.State, error));
        }
        return AdminJson.Ok(new ClusterAnswer(self.Name, membership.CurrentSnapshot.Version.Value, ring.Ring.Partitions, silos));
    }

    private static DateTimeOffset LastSeen(MembershipEntry h) =>
        new(DateTime.SpecifyKind(h.IAmAliveTime > h.StartTime ? h.IAmAliveTime : h.StartTime, DateTimeKind.Utc));

    /// <summary>A silo's own description: this one's directly, a live one's from its admin grain service.</summary>
    private static async Task<(LocalSiloAnswer? Local, string? Error)> DescribeAsync(MembershipEntry host, SiloAdmin self, IClusterMembershipService membership,
        ISiloAdminClient peers, TimeSpan timeout)
    {
        if (host.SiloAddress.Equals(self.Address)) return (Describe(self, membership), null);
        if (host.Status is not (SiloStatus.Active or SiloStatus.Joining)) return (null, null);
        try
        {
            return (await peers.On(host.SiloAddress).DescribeAsync().WaitAsync(timeout).ConfigureAwait(false), null);
        }
        catch (Exception ex) when (ex is TimeoutException or OrleansException or SiloUnavailableException or OperationCanceledException)
        {
            return (null, ex is TimeoutException ? "did not answer in time" : ex.Message);
        }
    }

    private static int? PortOf(string? url) => url is not null && Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.Port : null;

    private static IResult Ring(HttpContext http)
    {
        var services = http.RequestServices;
        var grid = services.GetRequiredService<IOptions<CometGridOptions>>().Value;
        var n = grid.Namespaces.TryGetValue("default", out var ns) ? ns.N : 3;
        if (http.Request.Query.TryGetValue("n", out var text)
            && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out n) || n is < 1 or > 16))
            return AdminJson.Error(CometErrorCode.BadRequest, $"Query 'n={text}' must be a whole number from 1 to 16.");
        var view = services.GetRequiredService<RingView>().Current;
        var ring = view.Ring;
        var lists = new string[ring.Partitions][];
        var replicas = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var s in ring.Silos) replicas[s] = 0;
        for (var p = 0; p < ring.Partitions; p++)
        {
            lists[p] = ring.Walk(p, n);
            foreach (var s in lists[p]) replicas[s]++;
        }
        var silos = ring.Silos.Order(StringComparer.Ordinal).ToArray();
        return AdminJson.Ok(new RingAnswer(ring.Partitions, Math.Min(n, ring.Silos.Count), view.Version.Value, silos, ring.OwnershipCounts(), replicas, lists));
    }
}
