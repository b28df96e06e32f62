using System.Diagnostics.Metrics;
using Comet.Admin.Api;
using Comet.Admin.Dashboard;
using Comet.Admin.OpenApi;
using Comet.Admin.Security;
using Comet.Grid.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace Comet.Admin;

/// <summary>
/// Plugs the admin API, the dashboard, the Prometheus endpoint and the OpenAPI document into a
/// silo's HTTP endpoint: <c>silo.ConfigureHttp = (app, s) =&gt; app.MapCometAdmin(s);</c>.
/// </summary>
public static class AdminHttp
{
    private static readonly Lock SilosLock = new();
    private static readonly List<Silo> Silos = [];

    static AdminHttp()
    {
        // The silo's activations for a collector; operation counts and latencies are measured in
        // Comet.Grid (CometMeter) where the operations run.
        CometMeter.Meter.CreateObservableGauge("comet.activations", ObserveActivations, "{activation}", "Key grain activations on a silo.");
    }

    public static WebApplication MapCometAdmin(this WebApplication app, Silo silo, AdminHostOptions? host = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(silo);
        var node = new SiloAdmin(silo, host);
        var guard = new AdminKeyGuard(silo.Options);
        app.Use((http, next) => guard.InvokeAsync(http, () => next(http)));

        var admin = app.MapGroup("/admin");
        admin.MapClusterEndpoints(node);
        admin.MapKeyEndpoints(node);
        admin.MapMetricsEndpoints(node);
        admin.MapSiloControlEndpoints(node);
        // ---- namespace API keys (src/Comet.Admin/Security, the security half of issue 6) ----
        admin.MapApiKeyEndpoints(silo);

        app.MapPrometheusEndpoint(node);
        app.MapDashboard();
        app.MapOpenApiDocument();

        lock (SilosLock) Silos.Add(silo);
        app.Lifetime.ApplicationStopping.Register(() =>
        {
            lock (SilosLock) Silos.Remove(silo);
        });
        return app;
    }

    private static IEnumerable<Measurement<int>> ObserveActivations()
    {
        Silo[] silos;
        lock (SilosLock) silos = [.. Silos];
        var result = new List<Measurement<int>>(silos.Length);
        foreach (var s in silos) result.Add(new Measurement<int>(s.Catalog.ActivationCount, new KeyValuePair<string, object?>("silo", s.Id)));
        return result;
    }
}
