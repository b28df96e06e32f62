using Comet.Abstractions.Errors;
using Comet.Admin.Silos;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Comet.Admin.Api;

/// <summary>
/// <c>POST /admin/silos/{id}/drain</c> and <c>…/stop</c>, for any silo of the cluster from any
/// other (forwarded through the named silo's <see cref="ISiloAdminService"/>). Drain is
/// Orleans's graceful shutdown of that silo (<see cref="SiloAdmin.DrainAsync"/>): it leaves the
/// ring at once, its grains deactivate and write their state, and its web host stays up so
/// <c>/admin/silo</c> reports it drained. Stop ends the silo's host cleanly (202 first).
/// </summary>
public static class SiloControlEndpoints
{
    public const string StoppingMessage = "The silo is stopping: it finishes in-flight requests, its grains deactivate and write their state, and it leaves the membership.";

    /// <summary>Time for the 202 to reach the caller before this silo's host starts to stop.</summary>
    private static readonly TimeSpan StopDelay = TimeSpan.FromMilliseconds(200);

    public static RouteGroupBuilder MapSiloControlEndpoints(this RouteGroupBuilder admin)
    {
        admin.MapPost("/silos/{id}/drain", (HttpContext http, string id) => ControlAsync(http, id, "drain"))
            .WithName("DrainSilo").WithTags("Silos")
            .WithSummary("Takes the silo out of the cluster gracefully (its grains deactivate and write their state; the ring moves on); its HTTP port keeps answering until it is stopped.")
            .Produces<SiloActionAnswer>()
            .Produces<SiloActionAnswer>(StatusCodes.Status202Accepted)
            .Produces<Gateway.Rest.ErrorAnswer>(StatusCodes.Status404NotFound)
            .Produces<Gateway.Rest.ErrorAnswer>(StatusCodes.Status409Conflict);
        admin.MapPost("/silos/{id}/stop", (HttpContext http, string id) => ControlAsync(http, id, "stop"))
            .WithName("StopSilo").WithTags("Silos")
            .WithSummary("Stops the silo cleanly (answers 202 first, then shuts its host down).")
            .Produces<SiloActionAnswer>(StatusCodes.Status202Accepted)
            .Produces<Gateway.Rest.ErrorAnswer>(StatusCodes.Status404NotFound)
            .Produces<Gateway.Rest.ErrorAnswer>(StatusCodes.Status409Conflict);
        return admin;
    }

    private static async Task<IResult> ControlAsync(HttpContext http, string id, string action)
    {
        var services = http.RequestServices;
        var self = services.GetRequiredService<SiloAdmin>();
        if (id == self.Name) return action == "drain" ? await DrainSelfAsync(self).ConfigureAwait(false) : StopSelf(self);
        if (self.HasLeft)
            return AdminJson.Error(CometErrorCode.Unavailable, $"This silo ({self.Name}) is {self.State} and reaches no other silo; send the request to a running silo.");

        var options = services.GetRequiredService<IOptions<AdminOptions>>().Value;
        var membership = services.GetRequiredService<IClusterMembershipService>();
        if (Newest(membership.CurrentSnapshot, id) is not { } target)
            return AdminJson.Error(CometErrorCode.NotFound, $"No silo '{id}' in the membership; GET /admin/cluster lists them.");
        if (target.Status != SiloStatus.Active)
            return AdminJson.Error(CometErrorCode.Conflict,
                $"Silo '{id}' is not on the ring (status {target.Status}), so it cannot be reached through the cluster; a drained silo is stopped at its own HTTP address.");

        var service = services.GetRequiredService<ISiloAdminClient>().On(target.SiloAddress);
        SiloActionAnswer answer;
        try
        {
            answer = await (action == "drain" ? service.DrainAsync() : service.StopAsync()).WaitAsync(options.PeerTimeout, http.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OrleansException or SiloUnavailableException)
        {
            return AdminJson.Error(CometErrorCode.Unavailable, $"Silo '{id}' did not take the {action}: {(ex is TimeoutException ? "it did not answer in time" : ex.Message)}");
        }
        if (action == "stop") return Results.Json(answer, AdminJson.Options, statusCode: StatusCodes.Status202Accepted);

        // A drain ends with the silo dead in the membership: wait for this silo's view to show it.
        var deadline = DateTime.UtcNow + options.DrainWait;
        while (DateTime.UtcNow < deadline && Newest(membership.CurrentSnapshot, id) is { Status: not SiloStatus.Dead })
            await Task.Delay(100, http.RequestAborted).ConfigureAwait(false);
        return Newest(membership.CurrentSnapshot, id) is { Status: SiloStatus.Dead }
            ? AdminJson.Ok(new SiloActionAnswer(id, "drain", "drained", DrainedMessage(id)))
            : Results.Json(answer with { Status = "draining" }, AdminJson.Options, statusCode: StatusCodes.Status202Accepted);
    }

    private static async Task<IResult> DrainSelfAsync(SiloAdmin self)
    {
        if (self.IsStopping) return AdminJson.Error(CometErrorCode.Conflict, $"Silo '{self.Name}' is already stopping.");
        var already = self.HasLeft;
        await self.DrainAsync().ConfigureAwait(false);
        return AdminJson.Ok(new SiloActionAnswer(self.Name, "drain", self.State, already ? "The silo was already drained." : DrainedMessage(self.Name)));
    }

    private static IResult StopSelf(SiloAdmin self)
    {
        var started = self.RequestStop(StopDelay);
        return Results.Json(new SiloActionAnswer(self.Name, "stop", "stopping", started ? StoppingMessage : "The silo is already stopping."),
            AdminJson.Options, statusCode: StatusCodes.Status202Accepted);
    }

    private static string DrainedMessage(string id) =>
        $"Silo '{id}' left the ring and its grains wrote their state; the others now serve its partitions. POST /admin/silos/{id}/stop at its own address ends its host.";

    /// <summary>The newest generation of the silo named <paramref name="name"/> in a membership snapshot.</summary>
    private static ClusterMember? Newest(ClusterMembershipSnapshot snapshot, string name)
    {
        ClusterMember? newest = null;
        foreach (var (address, member) in snapshot.Members)
            if (member.Name == name && (newest is null || address.Generation > newest.SiloAddress.Generation)) newest = member;
        return newest;
    }
}
