using Comet.Abstractions.Errors;
using Comet.Admin.Api;
using Comet.Admin.Dashboard;
using Comet.Admin.OpenApi;
using Comet.Admin.Security;
using Comet.Grains;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Comet.Admin;

/// <summary>
/// Plugs the admin API, the dashboard, the Prometheus endpoint and the OpenAPI document into a
/// silo's web host (after <see cref="AdminServices.AddCometAdmin"/> registered their services):
/// <c>app.MapCometAdmin("/orleans-dashboard")</c>.
/// </summary>
public static class AdminHttp
{
    /// <param name="app">The silo's web app.</param>
    /// <param name="orleansDashboardPath">Where the host mapped the Orleans Dashboard (the admin key guards it, our dashboard links to it); null when it has none.</param>
    public static WebApplication MapCometAdmin(this WebApplication app, string? orleansDashboardPath = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        var services = app.Services;
        var self = services.GetRequiredService<SiloAdmin>();
        var guard = new AdminKeyGuard(services.GetRequiredService<IOptions<AdminOptions>>(), services.GetRequiredService<IOptions<CometGridOptions>>(), orleansDashboardPath);
        app.Use((http, next) => guard.InvokeAsync(http, () => next(http)));
        app.Use((http, next) => WhileLeftAsync(http, self, () => next(http)));

        var admin = app.MapGroup("/admin");
        admin.MapClusterEndpoints();
        admin.MapKeyEndpoints();
        admin.MapMetricsEndpoints();
        admin.MapSiloControlEndpoints();
        admin.MapApiKeyEndpoints();

        app.MapPrometheusEndpoint();
        app.MapDashboard(orleansDashboardPath);
        app.MapOpenApiDocument();
        return app;
    }

    /// <summary>
    /// Once the Orleans silo in this host has left (drained or stopping), grain calls from here
    /// fail: anything that needs the grid answers 503 with what to do, while <c>/admin/silo</c>, a
    /// stop of this silo, the dashboard page and the OpenAPI document keep working.
    /// </summary>
    private static async Task WhileLeftAsync(HttpContext http, SiloAdmin self, Func<Task> next)
    {
        if (!self.HasLeft || StillServed(http.Request.Path, self))
        {
            await next().ConfigureAwait(false);
            return;
        }
        http.Response.Headers.RetryAfter = "1";
        await AdminJson.Error(CometErrorCode.Unavailable,
                $"Silo {self.Name} is {self.State}: it left the cluster. Send requests to another silo; POST /admin/silos/{self.Name}/stop here ends its host.")
            .ExecuteAsync(http).ConfigureAwait(false);
    }

    private static bool StillServed(PathString path, SiloAdmin self) =>
        path.Equals("/admin/silo", StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments("/admin/silos/" + self.Name, StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments("/dashboard", StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments(OpenApiDocument.Path, StringComparison.OrdinalIgnoreCase)
        || path.Equals("/", StringComparison.Ordinal);
}
