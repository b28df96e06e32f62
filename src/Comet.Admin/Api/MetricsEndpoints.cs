using System.Globalization;
using System.Text;
using Comet.Abstractions.Errors;
using Comet.Admin.Silos;
using Comet.Gateway.Metrics;
using Comet.Grains;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Comet.Admin.Api;

/// <summary>
/// <c>GET /admin/metrics</c> (JSON, for the dashboard) and <c>GET /metrics</c> (Prometheus text,
/// for a scraper), both from this silo's <see cref="OperationMetrics"/>: the REST gateway and the
/// SDK's coordinator calls record every operation there, and the same measurements go to the
/// "CometGrains" meter. <c>scope=cluster</c> asks every other live silo's admin grain service.
/// </summary>
public static class MetricsEndpoints
{
    public const int DefaultWindow = 10;
    public const int SeriesSeconds = 60;

    public static RouteGroupBuilder MapMetricsEndpoints(this RouteGroupBuilder admin)
    {
        admin.MapGet("/metrics", (HttpRequest request) => MetricsAsync(request.HttpContext))
            .WithName("GetMetrics").WithTags("Metrics")
            .WithSummary("This silo's client operations (REST and SDK): ops/s by op, p50/p99 latency, totals, errors and handler failures by code, a 60 s series; scope=cluster adds every live silo and the sum.")
            .WithMetadata(new OpenApi.QueryParameter("window", "integer", "Seconds the rates and percentiles cover (1-60, default 10)."))
            .WithMetadata(new OpenApi.QueryParameter("scope", "string", "'cluster' to add the cluster-wide aggregate."))
            .Produces<MetricsAnswer>()
            .Produces<Gateway.Rest.ErrorAnswer>(StatusCodes.Status400BadRequest);
        return admin;
    }

    public static IEndpointRouteBuilder MapPrometheusEndpoint(this IEndpointRouteBuilder app)
    {
        app.MapGet("/metrics", async (HttpRequest request) =>
                Results.Text(await PrometheusAsync(request.HttpContext).ConfigureAwait(false), "text/plain; version=0.0.4; charset=utf-8", Encoding.UTF8))
            .WithName("GetPrometheusMetrics").WithTags("Metrics")
            .WithSummary("This silo's metrics in the Prometheus text format (needs the admin key, e.g. as a bearer token).")
            .Produces<string>(StatusCodes.Status200OK, "text/plain");
        return app;
    }

    private static async Task<IResult> MetricsAsync(HttpContext http)
    {
        var window = DefaultWindow;
        if (http.Request.Query.TryGetValue("window", out var text)
            && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out window) || window is < 1 or > SeriesSeconds))
            return AdminJson.Error(CometErrorCode.BadRequest, $"Query 'window={text}' must be a whole number from 1 to {SeriesSeconds}.");
        var services = http.RequestServices;
        var answer = Local(services.GetRequiredService<OperationMetrics>(), window, await ActivationsAsync(services).ConfigureAwait(false));
        if (http.Request.Query.TryGetValue("scope", out var scope) && scope == "cluster")
            answer = answer with { Cluster = await ClusterAsync(services, answer, window).ConfigureAwait(false) };
        return AdminJson.Ok(answer);
    }

    /// <summary>This silo's figures over the last <paramref name="window"/> complete seconds.</summary>
    public static MetricsAnswer Local(OperationMetrics metrics, int window, int? activations)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var samples = metrics.Recent(SeriesSeconds);
        var now = DateTimeOffset.UtcNow;
        var nowMs = now.ToUnixTimeMilliseconds();
        var recent = samples.Skip(samples.Count - window).ToList();
        var ops = new Dictionary<string, OpAnswer>(StringComparer.Ordinal);
        var all = new long[OperationMetrics.BucketCount];
        long allCount = 0;
        foreach (var op in Enum.GetValues<ClientOp>())
        {
            var buckets = new long[OperationMetrics.BucketCount];
            long count = 0;
            foreach (var s in recent)
            {
                count += s.Count(op);
                Add(buckets, s.BucketsOf(op));
            }
            Add(all, buckets);
            allCount += count;
            ops[OperationMetrics.NameOf(op)] = new OpAnswer(metrics.Total(op), (double)count / window,
                Ms(OperationMetrics.Quantile(buckets, 0.5)), Ms(OperationMetrics.Quantile(buckets, 0.99)));
        }

        var series = new List<SeriesPoint>(samples.Count);
        for (var k = 0; k < samples.Count; k++)
        {
            var s = samples[k];
            var buckets = new long[OperationMetrics.BucketCount];
            long count = 0;
            foreach (var op in Enum.GetValues<ClientOp>())
            {
                count += s.Count(op);
                Add(buckets, s.BucketsOf(op));
            }
            // Sample k is (samples.Count - k) seconds before the current, incomplete second.
            series.Add(new SeriesPoint(nowMs - (samples.Count - k) * 1000L, count,
                Ms(OperationMetrics.Quantile(buckets, 0.5)), Ms(OperationMetrics.Quantile(buckets, 0.99))));
        }

        var errors = new Dictionary<string, long>(StringComparer.Ordinal);
        var handlerFailures = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (code, count) in metrics.Errors())
        {
            errors[code.ToString()] = count;
            if (OperationMetrics.IsHandlerFailure(code)) handlerFailures[code.ToString()] = count;
        }
        return new MetricsAnswer(metrics.Silo, now, window, (double)allCount / window,
            new LatencyAnswer(Ms(OperationMetrics.Quantile(all, 0.5)), Ms(OperationMetrics.Quantile(all, 0.99))),
            ops, errors, handlerFailures, activations, series, null);
    }

    private static void Add(long[] into, ReadOnlySpan<long> from)
    {
        for (var i = 0; i < from.Length; i++) into[i] += from[i];
    }

    /// <summary>This silo's activations, from Orleans's runtime statistics; null when they did not come in time.</summary>
    private static async Task<int?> ActivationsAsync(IServiceProvider services)
    {
        var self = services.GetRequiredService<SiloAdmin>();
        if (self.HasLeft) return null;
        var timeout = services.GetRequiredService<IOptions<AdminOptions>>().Value.PeerTimeout;
        try
        {
            var stats = await services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0)
                .GetRuntimeStatistics([self.Address]).WaitAsync(timeout).ConfigureAwait(false);
            return stats.Length > 0 ? stats[0].ActivationCount : null;
        }
        catch (Exception ex) when (ex is TimeoutException or OrleansException or SiloUnavailableException)
        {
            return null;
        }
    }

    private static async Task<ClusterMetricsAnswer> ClusterAsync(IServiceProvider services, MetricsAnswer self, int window)
    {
        var admin = services.GetRequiredService<SiloAdmin>();
        var peers = services.GetRequiredService<ISiloAdminClient>();
        var timeout = services.GetRequiredService<IOptions<AdminOptions>>().Value.PeerTimeout;
        var others = services.GetRequiredService<RingView>().Current.Addresses
            .Where(kv => !kv.Value.Equals(admin.Address))
            .OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .ToList();
        var answers = await Task.WhenAll(others.Select(async kv =>
        {
            try
            {
                var m = await peers.On(kv.Value).MetricsAsync(window).WaitAsync(timeout).ConfigureAwait(false);
                return (Silo: kv.Key, Metrics: (MetricsAnswer?)m, Error: (string?)null);
            }
            catch (Exception ex) when (ex is TimeoutException or OrleansException or SiloUnavailableException)
            {
                return (Silo: kv.Key, Metrics: (MetricsAnswer?)null, Error: ex is TimeoutException ? "did not answer in time" : ex.Message);
            }
        })).ConfigureAwait(false);

        var perSecond = new Dictionary<string, double>(StringComparer.Ordinal);
        var totals = new Dictionary<string, long>(StringComparer.Ordinal);
        var errors = new Dictionary<string, long>(StringComparer.Ordinal);
        var failures = new Dictionary<string, long>(StringComparer.Ordinal);
        var silos = new List<SiloMetricsSummary>(answers.Length + 1);
        foreach (var (id, m, error) in answers.Prepend((self.Silo, self, null)))
        {
            if (m is null)
            {
                silos.Add(new SiloMetricsSummary(id, false, 0, null, null, error));
                continue;
            }
            silos.Add(new SiloMetricsSummary(id, true, m.OpsPerSecond, m.Latency.P50Ms, m.Latency.P99Ms, null));
            foreach (var (op, o) in m.Ops)
            {
                perSecond[op] = perSecond.GetValueOrDefault(op) + o.PerSecond;
                totals[op] = totals.GetValueOrDefault(op) + o.Total;
            }
            foreach (var (code, count) in m.Errors) errors[code] = errors.GetValueOrDefault(code) + count;
            foreach (var (code, count) in m.HandlerFailures) failures[code] = failures.GetValueOrDefault(code) + count;
        }
        return new ClusterMetricsAnswer(perSecond.Values.Sum(), perSecond, totals, errors, failures, silos);
    }

    private static double? Ms(TimeSpan? t) => t is { } v ? Math.Round(v.TotalMilliseconds, 3) : null;

    /// <summary>The Prometheus text exposition of this silo's figures.</summary>
    private static async Task<string> PrometheusAsync(HttpContext http)
    {
        var services = http.RequestServices;
        var admin = services.GetRequiredService<SiloAdmin>();
        var m = Local(services.GetRequiredService<OperationMetrics>(), DefaultWindow, await ActivationsAsync(services).ConfigureAwait(false));
        var ring = services.GetRequiredService<RingView>().Current;
        var sb = new StringBuilder();
        var id = Label(admin.Name);
        sb.Append("# HELP comet_operations_total Client operations (REST and SDK) this silo served, failures included.\n# TYPE comet_operations_total counter\n");
        foreach (var (op, o) in m.Ops) sb.Append(CultureInfo.InvariantCulture, $"comet_operations_total{{silo=\"{id}\",op=\"{op}\"}} {o.Total}\n");
        sb.Append(CultureInfo.InvariantCulture, $"# HELP comet_operation_duration_seconds Client operation latency over the last {DefaultWindow} s.\n# TYPE comet_operation_duration_seconds summary\n");
        foreach (var (op, o) in m.Ops)
        {
            if (o.P50Ms is { } p50) sb.Append(CultureInfo.InvariantCulture, $"comet_operation_duration_seconds{{silo=\"{id}\",op=\"{op}\",quantile=\"0.5\"}} {p50 / 1000}\n");
            if (o.P99Ms is { } p99) sb.Append(CultureInfo.InvariantCulture, $"comet_operation_duration_seconds{{silo=\"{id}\",op=\"{op}\",quantile=\"0.99\"}} {p99 / 1000}\n");
        }
        sb.Append("# HELP comet_errors_total Client operations answered with an error, by error code.\n# TYPE comet_errors_total counter\n");
        foreach (var (code, count) in m.Errors) sb.Append(CultureInfo.InvariantCulture, $"comet_errors_total{{silo=\"{id}\",code=\"{Label(code)}\"}} {count}\n");
        sb.Append("# HELP comet_handler_failures_total Client operations that failed in an ASO's handler or sandbox, by error code.\n# TYPE comet_handler_failures_total counter\n");
        foreach (var (code, count) in m.HandlerFailures) sb.Append(CultureInfo.InvariantCulture, $"comet_handler_failures_total{{silo=\"{id}\",code=\"{Label(code)}\"}} {count}\n");
        if (m.Activations is { } activations)
        {
            sb.Append("# HELP comet_activations Grain activations on this silo (Orleans runtime statistics).\n# TYPE comet_activations gauge\n");
            sb.Append(CultureInfo.InvariantCulture, $"comet_activations{{silo=\"{id}\"}} {activations}\n");
        }
        sb.Append("# HELP comet_uptime_seconds Seconds since this silo started.\n# TYPE comet_uptime_seconds gauge\n");
        sb.Append(CultureInfo.InvariantCulture, $"comet_uptime_seconds{{silo=\"{id}\"}} {(DateTimeOffset.UtcNow - admin.StartedAt).TotalSeconds:F3}\n");
        sb.Append("# HELP comet_live_silos Silos on the ring as this silo sees it.\n# TYPE comet_live_silos gauge\n");
        sb.Append(CultureInfo.InvariantCulture, $"comet_live_silos{{silo=\"{id}\"}} {ring.Ring.Silos.Count}\n");
        sb.Append("# HELP comet_partitions_owned Ring partitions this silo owns.\n# TYPE comet_partitions_owned gauge\n");
        sb.Append(CultureInfo.InvariantCulture, $"comet_partitions_owned{{silo=\"{id}\"}} {ring.Ring.OwnershipCounts().GetValueOrDefault(admin.Name)}\n");
        return sb.ToString();
    }

    private static string Label(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
