using Comet.Abstractions.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Comet.Admin.Api;

/// <summary>
/// <c>POST /admin/silos/{id}/drain</c> and <c>…/stop</c>. Drain takes the silo off the ring (its
/// membership row says it left, so the others re-route at once and anti-entropy re-replicates
/// its partitions) and writes its dirty state, but leaves it running so an operator can watch
/// before stopping it. Stop is a clean shutdown (finish in-flight turns, write state, leave).
/// Any silo accepts either for any other silo and forwards it to that silo's admin API.
/// </summary>
public static partial class SiloControlEndpoints
{
    private static readonly TimeSpan ForwardTimeout = TimeSpan.FromSeconds(15);

    public static RouteGroupBuilder MapSiloControlEndpoints(this RouteGroupBuilder admin, SiloAdmin node)
    {
        ArgumentNullException.ThrowIfNull(node);
        admin.MapPost("/silos/{id}/drain", (HttpContext http, string id) => ControlAsync(http, node, id, "drain"))
            .WithName("DrainSilo").WithTags("Silos")
            .WithSummary("Takes the silo off the ring and writes its state; it keeps running until stopped.")
            .Produces<SiloActionAnswer>()
            .Produces<Grid.Gateway.ErrorAnswer>(StatusCodes.Status404NotFound);
        admin.MapPost("/silos/{id}/stop", (HttpContext http, string id) => ControlAsync(http, node, id, "stop"))
            .WithName("StopSilo").WithTags("Silos")
            .WithSummary("Stops the silo cleanly (answers 202 first, then shuts down).")
            .Produces<SiloActionAnswer>(StatusCodes.Status202Accepted)
            .Produces<Grid.Gateway.ErrorAnswer>(StatusCodes.Status404NotFound);
        return admin;
    }

    private static async Task<IResult> ControlAsync(HttpContext http, SiloAdmin node, string id, string action)
    {
        var silo = node.Silo;
        if (id == silo.Id) return action == "drain" ? await DrainAsync(http, node).ConfigureAwait(false) : Stop(http, node);

        var view = silo.View;
        if (view.Find(id) is not { } entry) return AdminJson.Error(CometErrorCode.NotFound, $"No silo '{id}' in the membership table; GET /admin/cluster lists them.");
        if (!view.IsLive(id)) return AdminJson.Error(CometErrorCode.Conflict, $"Silo '{id}' is not on the ring (status {entry.Status}); there is nothing to {action}.");
        if (entry.HttpPort <= 0) return AdminJson.Error(CometErrorCode.Unavailable, $"Silo '{id}' serves no HTTP, so it cannot be asked to {action}.");
        try
        {
            var (status, body) = await PeerAdminClient.PostAsync(entry, $"/admin/silos/{Uri.EscapeDataString(id)}/{action}", http.Request, ForwardTimeout).ConfigureAwait(false);
            return Results.Content(body, "application/json", System.Text.Encoding.UTF8, status);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            return AdminJson.Error(CometErrorCode.Unavailable, $"Silo '{id}' did not take the {action}: {ex.Message}");
        }
    }

    private static async Task<IResult> DrainAsync(HttpContext http, SiloAdmin node)
    {
        var silo = node.Silo;
        if (!node.MarkDrained())
            return AdminJson.Ok(new SiloActionAnswer(silo.Id, "drain", node.State, "The silo was already drained."));
        await silo.Membership.LeaveAsync(http.RequestAborted).ConfigureAwait(false);
        await silo.Catalog.FlushAsync().ConfigureAwait(false);
        return AdminJson.Ok(new SiloActionAnswer(silo.Id, "drain", node.State,
            "The silo left the ring and wrote its state; the others now serve its partitions. Stop it with POST /admin/silos/{id}/stop."));
    }

    private static IResult Stop(HttpContext http, SiloAdmin node)
    {
        var silo = node.Silo;
        if (!node.MarkStopping())
            return Results.Json(new SiloActionAnswer(silo.Id, "stop", node.State, "The silo is already stopping."), AdminJson.Options, statusCode: StatusCodes.Status202Accepted);
        var logger = (http.RequestServices.GetService(typeof(ILoggerFactory)) as ILoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Comet.Admin");
        // Stopping the silo stops this HTTP server, so it starts only once the answer is out.
        http.Response.OnCompleted(() =>
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    await node.StopAsync().ConfigureAwait(false);
                }
#pragma warning disable CA1031 // nobody awaits a stop that the answer already reported; it must not crash the process
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    LogStopFailed(logger, silo.Id, ex);
                }
            });
            return Task.CompletedTask;
        });
        return Results.Json(new SiloActionAnswer(silo.Id, "stop", node.State, "The silo is stopping: it finishes in-flight requests, writes its state and leaves the membership."),
            AdminJson.Options, statusCode: StatusCodes.Status202Accepted);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Stopping silo {Silo} at the admin API's request failed")]
    private static partial void LogStopFailed(ILogger logger, string silo, Exception ex);
}
