using Comet.Grid.Membership;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Comet.Admin.Api;

/// <summary><c>/admin/cluster</c>, <c>/admin/silo</c> and <c>/admin/ring</c>: who is in the cluster and what each silo owns.</summary>
public static class ClusterEndpoints
{
    private static readonly TimeSpan PeerTimeout = TimeSpan.FromSeconds(2);

    public static RouteGroupBuilder MapClusterEndpoints(this RouteGroupBuilder admin, SiloAdmin node)
    {
        ArgumentNullException.ThrowIfNull(node);
        admin.MapGet("/cluster", (HttpRequest request) => ClusterAsync(request.HttpContext, node))
            .WithName("GetCluster").WithTags("Cluster")
            .WithSummary("Every silo in the membership table: status, whether it is on the ring, address and ports, uptime, activations.")
            .Produces<ClusterAnswer>();
        admin.MapGet("/silo", () => AdminJson.Ok(Local(node)))
            .WithName("GetSilo").WithTags("Cluster")
            .WithSummary("This silo about itself: state, uptime, activations, the live silos it sees.")
            .Produces<LocalSiloAnswer>();
        admin.MapGet("/ring", (HttpRequest request) => Ring(request.HttpContext, node))
            .WithName("GetRing").WithTags("Cluster")
            .WithSummary("The ring: each partition's preference list (owner first), partitions owned and replicated per silo. Query n: replicas per list (default: namespace 'default''s N).")
            .WithMetadata(new OpenApi.QueryParameter("n", "integer", "Length of each preference list (1-16)."))
            .Produces<RingAnswer>();
        return admin;
    }

    public static LocalSiloAnswer Local(SiloAdmin node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var silo = node.Silo;
        var view = silo.View;
        return new LocalSiloAnswer(silo.Id, node.State, silo.StartedAt, (DateTimeOffset.UtcNow - silo.StartedAt).TotalSeconds,
            silo.Catalog.ActivationCount, view.Version, [.. view.Live.Order(StringComparer.Ordinal)]);
    }

    private static async Task<IResult> ClusterAsync(HttpContext http, SiloAdmin node)
    {
        var silo = node.Silo;
        var view = silo.View;
        var owned = view.Ring.OwnershipCounts();
        var now = DateTimeOffset.UtcNow;
        var entries = view.Entries.OrderBy(e => e.SiloId, StringComparer.Ordinal).ToList();
        var locals = await Task.WhenAll(entries.Select(e => LocalOfAsync(http, node, view, e))).ConfigureAwait(false);
        var silos = new List<SiloAnswer>(entries.Count);
        for (var i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            var (local, error) = locals[i];
            var live = view.IsLive(e.SiloId);
            var started = DateTimeOffset.FromUnixTimeMilliseconds(e.StartedAtMs);
            silos.Add(new SiloAnswer(e.SiloId, e.Status.ToString(), live, e.SiloId == silo.Id, e.Host, e.SiloPort, e.GatewayPort, e.HttpPort,
                started, DateTimeOffset.FromUnixTimeMilliseconds(e.IAmAliveMs),
                live ? local?.UptimeSeconds ?? (now - started).TotalSeconds : null,
                local?.Activations, owned.GetValueOrDefault(e.SiloId), local?.State, error));
        }
        return AdminJson.Ok(new ClusterAnswer(silo.Id, view.Version, view.Ring.Partitions, silos));
    }

    /// <summary>A live silo's own figures (asked over its admin API), or why they are missing.</summary>
    private static async Task<(LocalSiloAnswer? Local, string? Error)> LocalOfAsync(HttpContext http, SiloAdmin node, MembershipView view, MembershipEntry entry)
    {
        if (entry.SiloId == node.Silo.Id) return (Local(node), null);
        if (!view.IsLive(entry.SiloId)) return (null, null);
        if (entry.HttpPort <= 0) return (null, "serves no HTTP");
        try
        {
            return (await PeerAdminClient.GetAsync<LocalSiloAnswer>(entry, "/admin/silo", http.Request, PeerTimeout).ConfigureAwait(false), null);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException)
        {
            return (null, ex is OperationCanceledException ? "did not answer in time" : ex.Message);
        }
    }

    private static IResult Ring(HttpContext http, SiloAdmin node)
    {
        var silo = node.Silo;
        var n = silo.Options.Namespaces.TryGetValue("default", out var ns) ? ns.N : 3;
        if (http.Request.Query.TryGetValue("n", out var text))
        {
            if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out n) || n is < 1 or > 16)
                return AdminJson.Error(Abstractions.Errors.CometErrorCode.BadRequest, $"Query 'n={text}' must be a whole number from 1 to 16.");
        }
        var view = silo.View;
        var ring = view.Ring;
        var lists = new string[ring.Partitions][];
        var replicas = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var s in ring.Silos) replicas[s] = 0;
        for (var p = 0; p < ring.Partitions; p++)
        {
            lists[p] = ring.Walk(p, n);
            foreach (var s in lists[p]) replicas[s]++;
        }
        return AdminJson.Ok(new RingAnswer(ring.Partitions, Math.Min(n, ring.Silos.Count), view.Version, ring.Silos, ring.OwnershipCounts(), replicas, lists));
    }
}
