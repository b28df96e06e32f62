using System.Globalization;
using System.Text;
using Comet.Grid.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Comet.Admin.Api;

/// <summary>
/// <c>GET /admin/metrics</c> (JSON, for the dashboard) and <c>GET /metrics</c> (Prometheus text,
/// for a scraper), both from the same numbers: <see cref="OperationMetrics"/> of the gateway and
/// <see cref="HandlerFailureMetrics"/> of the catalog. The same measurements also go to the
/// "CometGrains" meter (<see cref="CometMeter"/>) for OpenTelemetry.
/// </summary>
public static class MetricsEndpoints
{
    private const int DefaultWindow = 10;
    private const int SeriesSeconds = 60;
    private static readonly TimeSpan PeerTimeout = TimeSpan.FromSeconds(2);

    public static RouteGroupBuilder MapMetricsEndpoints(this RouteGroupBuilder admin, SiloAdmin node)
    {
        ArgumentNullException.ThrowIfNull(node);
        admin.MapGet("/metrics", (HttpRequest request) => MetricsAsync(request.HttpContext, node))
            .WithName("GetMetrics").WithTags("Metrics")
            .WithSummary("This silo's client operations: ops/s by op, p50/p99 latency, totals, handler failures by code, a 60 s series; scope=cluster adds every live silo and the sum.")
            .WithMetadata(new OpenApi.QueryParameter("window", "integer", "Seconds the rates and percentiles cover (1-60, default 10)."))
            .WithMetadata(new OpenApi.QueryParameter("scope", "string", "'cluster' to add the cluster-wide aggregate."))
            .Produces<MetricsAnswer>();
        return admin;
    }

    public static IEndpointRouteBuilder MapPrometheusEndpoint(this IEndpointRouteBuilder app, SiloAdmin node)
    {
        ArgumentNullException.ThrowIfNull(node);
        app.MapGet("/metrics", () => Results.Text(Prometheus(node), "text/plain; version=0.0.4; charset=utf-8", Encoding.UTF8))
            .WithName("GetPrometheusMetrics").WithTags("Metrics")
            .WithSummary("This silo's metrics in the Prometheus text format (needs the admin key, e.g. as a bearer token).")
            .Produces<string>(StatusCodes.Status200OK, "text/plain");
        return app;
    }

    private static async Task<IResult> MetricsAsync(HttpContext http, SiloAdmin node)
    {
        var window = DefaultWindow;
        if (http.Request.Query.TryGetValue("window", out var text)
            && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out window) || window is < 1 or > SeriesSeconds))
            return AdminJson.Error(Abstractions.Errors.CometErrorCode.BadRequest, $"Query 'window={text}' must be a whole number from 1 to {SeriesSeconds}.");
        var answer = Local(node, window);
        if (http.Request.Query.TryGetValue("scope", out var scope) && scope == "cluster")
            answer = answer with { Cluster = await ClusterAsync(http, node, answer, window).ConfigureAwait(false) };
        return AdminJson.Ok(answer);
    }

    public static MetricsAnswer Local(SiloAdmin node, int window)
    {
        ArgumentNullException.ThrowIfNull(node);
        var silo = node.Silo;
        var metrics = silo.Gateway.Metrics;
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
                var b = s.BucketsOf(op);
                for (var i = 0; i < b.Length; i++) buckets[i] += b[i];
            }
            for (var i = 0; i < all.Length; i++) all[i] += buckets[i];
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
                var b = s.BucketsOf(op);
                for (var i = 0; i < b.Length; i++) buckets[i] += b[i];
            }
            // Sample k is (samples.Count - k) seconds before the current, incomplete second.
            series.Add(new SeriesPoint(nowMs - (samples.Count - k) * 1000L, count,
                Ms(OperationMetrics.Quantile(buckets, 0.5)), Ms(OperationMetrics.Quantile(buckets, 0.99))));
        }

        return new MetricsAnswer(silo.Id, now, window, (double)allCount / window,
            new LatencyAnswer(Ms(OperationMetrics.Quantile(all, 0.5)), Ms(OperationMetrics.Quantile(all, 0.99))),
            ops, Failures(silo), silo.Catalog.ActivationCount, series, null);
    }

    private static async Task<ClusterMetricsAnswer> ClusterAsync(HttpContext http, SiloAdmin node, MetricsAnswer self, int window)
    {
        var view = node.Silo.View;
        var peers = view.Entries.Where(e => view.IsLive(e.SiloId) && e.SiloId != node.Silo.Id).OrderBy(e => e.SiloId, StringComparer.Ordinal).ToList();
        var answers = await Task.WhenAll(peers.Select(async e =>
        {
            try
            {
                var m = await PeerAdminClient.GetAsync<MetricsAnswer>(e, $"/admin/metrics?window={window}", http.Request, PeerTimeout).ConfigureAwait(false);
                return (e.SiloId, Metrics: m, Error: (string?)null);
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException or InvalidOperationException)
            {
                return (e.SiloId, Metrics: (MetricsAnswer?)null, Error: ex is OperationCanceledException ? "did not answer in time" : ex.Message);
            }
        })).ConfigureAwait(false);

        var perSecond = new Dictionary<string, double>(StringComparer.Ordinal);
        var totals = new Dictionary<string, long>(StringComparer.Ordinal);
        var failures = new Dictionary<string, long>(StringComparer.Ordinal);
        var silos = new List<SiloMetricsSummary>();
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
            foreach (var (code, count) in m.HandlerFailures) failures[code] = failures.GetValueOrDefault(code) + count;
        }
        return new ClusterMetricsAnswer(perSecond.Values.Sum(), perSecond, totals, failures, silos);
    }

    private static Dictionary<string, long> Failures(Silo silo) =>
        silo.Catalog.HandlerFailures.Snapshot().ToDictionary(kv => kv.Key.ToString(), kv => kv.Value, StringComparer.Ordinal);

    private static double? Ms(TimeSpan? t) => t is { } v ? Math.Round(v.TotalMilliseconds, 3) : null;

    /// <summary>The Prometheus text exposition of this silo's figures.</summary>
    public static string Prometheus(SiloAdmin node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var silo = node.Silo;
        var m = Local(node, DefaultWindow);
        var sb = new StringBuilder();
        var id = Label(silo.Id);
        sb.Append("# HELP comet_operations_total Client operations received by this silo's gateways.\n# TYPE comet_operations_total counter\n");
        foreach (var (op, o) in m.Ops) sb.Append(CultureInfo.InvariantCulture, $"comet_operations_total{{silo=\"{id}\",op=\"{op}\"}} {o.Total}\n");
        sb.Append(CultureInfo.InvariantCulture, $"# HELP comet_operation_duration_seconds Client operation latency over the last {DefaultWindow} s.\n# TYPE comet_operation_duration_seconds summary\n");
        foreach (var (op, o) in m.Ops)
        {
            if (o.P50Ms is { } p50) sb.Append(CultureInfo.InvariantCulture, $"comet_operation_duration_seconds{{silo=\"{id}\",op=\"{op}\",quantile=\"0.5\"}} {p50 / 1000}\n");
            if (o.P99Ms is { } p99) sb.Append(CultureInfo.InvariantCulture, $"comet_operation_duration_seconds{{silo=\"{id}\",op=\"{op}\",quantile=\"0.99\"}} {p99 / 1000}\n");
        }
        sb.Append("# HELP comet_handler_failures_total ASO handler calls on this silo's replicas that failed, by error code.\n# TYPE comet_handler_failures_total counter\n");
        foreach (var (code, count) in m.HandlerFailures) sb.Append(CultureInfo.InvariantCulture, $"comet_handler_failures_total{{silo=\"{id}\",code=\"{Label(code)}\"}} {count}\n");
        sb.Append("# HELP comet_activations Key grain activations on this silo.\n# TYPE comet_activations gauge\n");
        sb.Append(CultureInfo.InvariantCulture, $"comet_activations{{silo=\"{id}\"}} {m.Activations}\n");
        sb.Append("# HELP comet_uptime_seconds Seconds since this silo started.\n# TYPE comet_uptime_seconds gauge\n");
        sb.Append(CultureInfo.InvariantCulture, $"comet_uptime_seconds{{silo=\"{id}\"}} {(DateTimeOffset.UtcNow - silo.StartedAt).TotalSeconds:F3}\n");
        var view = silo.View;
        sb.Append("# HELP comet_live_silos Silos on the ring as this silo sees it.\n# TYPE comet_live_silos gauge\n");
        sb.Append(CultureInfo.InvariantCulture, $"comet_live_silos{{silo=\"{id}\"}} {view.Live.Count}\n");
        sb.Append("# HELP comet_partitions_owned Ring partitions this silo owns.\n# TYPE comet_partitions_owned gauge\n");
        sb.Append(CultureInfo.InvariantCulture, $"comet_partitions_owned{{silo=\"{id}\"}} {view.Ring.OwnershipCounts().GetValueOrDefault(silo.Id)}\n");
        return sb.ToString();
    }

    private static string Label(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
