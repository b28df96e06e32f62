using System.Text;
using System.Text.Json;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Keys;
using Comet.Abstractions.Protocol;
using Comet.Grid.Grains;
using Comet.Sandbox;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace Comet.Admin.Api;

/// <summary>
/// <c>GET /admin/keys/{ns}/{key}</c>, the key inspector: each replica on the key's preference
/// list as that silo holds it (versions, expiry, code, state, handler statistics). Remote
/// replicas are read through their silo's own admin API with <c>?local=true</c>.
/// </summary>
public static class KeyEndpoints
{
    private static readonly TimeSpan PeerTimeout = TimeSpan.FromSeconds(3);
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    public static RouteGroupBuilder MapKeyEndpoints(this RouteGroupBuilder admin, SiloAdmin node)
    {
        ArgumentNullException.ThrowIfNull(node);
        admin.MapGet("/keys/{ns}/{**key}", (HttpRequest request) => InspectAsync(request.HttpContext, node))
            .WithName("InspectKey").WithTags("Keys")
            .WithSummary("One key's replicas on its preference list: versions, expiry, kind, code, state and ASO handler statistics. Encode '/' inside a key as %2F.")
            .WithMetadata(new OpenApi.QueryParameter("local", "boolean", "Only this silo's replica (what silos ask each other)."))
            .WithMetadata(new OpenApi.QueryParameter("n", "integer", "Replicas to show (default: the namespace's N)."))
            .Produces<KeyAnswer>();
        return admin;
    }

    private static async Task<IResult> InspectAsync(HttpContext http, SiloAdmin node)
    {
        var silo = node.Silo;
        ObjectKey key;
        int n;
        try
        {
            var (ns, name) = ParseTarget(http);
            key = ObjectKey.Create(ns, name, silo.Options.Limits);
            var nsOptions = silo.Gateway.Coordinator.Namespace(ns);
            n = nsOptions.N;
            if (http.Request.Query.TryGetValue("n", out var text)
                && (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out n) || n is < 1 or > 16))
                throw new CometException(CometErrorCode.BadRequest, $"Query 'n={text}' must be a whole number from 1 to 16.");
        }
        catch (CometException ex)
        {
            return AdminJson.Error(ex.Code, ex.Message);
        }

        var ct = http.RequestAborted;
        if (http.Request.Query.TryGetValue("local", out var local) && local == "true")
            return AdminJson.Ok(ToAnswer(await silo.Catalog.InspectAsync(key, ct).ConfigureAwait(false), 0));

        var view = silo.View;
        var preference = view.Ring.PreferenceList(key.Hash, n);
        var replicas = await Task.WhenAll(preference.Select((id, rank) => ReplicaAsync(http, node, key, id, rank))).ConfigureAwait(false);
        return AdminJson.Ok(new KeyAnswer(key.Namespace, key.Key, view.Ring.PartitionOf(key.Hash), preference, replicas));
    }

    private static async Task<ReplicaAnswer> ReplicaAsync(HttpContext http, SiloAdmin node, ObjectKey key, string siloId, int rank)
    {
        var silo = node.Silo;
        try
        {
            if (siloId == silo.Id) return ToAnswer(await silo.Catalog.InspectAsync(key, http.RequestAborted).ConfigureAwait(false), rank);
            var entry = silo.View.Find(siloId) ?? throw new HttpRequestException($"{siloId} is not in the membership table.");
            var path = $"/admin/keys/{Uri.EscapeDataString(key.Namespace)}/{Uri.EscapeDataString(key.Key)}?local=true";
            var remote = await PeerAdminClient.GetAsync<ReplicaAnswer>(entry, path, http.Request, PeerTimeout).ConfigureAwait(false);
            return remote with { Rank = rank };
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or JsonException or CometException or InvalidOperationException)
        {
            var reason = ex is OperationCanceledException ? "did not answer in time" : ex.Message;
            return new ReplicaAnswer(siloId, rank, false, reason, [], 0, null);
        }
    }

    public static ReplicaAnswer ToAnswer(ReplicaInspection inspection, int rank)
    {
        ArgumentNullException.ThrowIfNull(inspection);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var versions = new List<VersionAnswer>(inspection.Live.Count);
        foreach (var v in inspection.Live)
        {
            JsonElement? state = null;
            string? value = null;
            string? base64 = null;
            if (v.Kind == ObjectKind.Aso) state = ParseState(v.Data.Span);
            else if (v.Kind == ObjectKind.Value)
            {
                base64 = Convert.ToBase64String(v.Data.Span);
                try { value = StrictUtf8.GetString(v.Data.Span); } catch (DecoderFallbackException) { }
            }
            var expires = v.ExpiresAtMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(v.ExpiresAtMs) : (DateTimeOffset?)null;
            versions.Add(new VersionAnswer(v.Version, KindName(v.Kind), DateTimeOffset.FromUnixTimeMilliseconds(v.WrittenAtMs), expires,
                v.ExpiresAtMs > 0 && v.ExpiresAtMs <= now, v.Code, state, value, base64, Stats(v.HandlerStats as AsoStats)));
        }
        return new ReplicaAnswer(inspection.Silo, rank, true, null, versions, inspection.HistoryCount, inspection.TimerPeriodSeconds);
    }

    private static string KindName(ObjectKind kind) => kind switch
    {
        ObjectKind.Aso => "aso",
        ObjectKind.Tombstone => "deleted",
        _ => "value",
    };

    private static JsonElement? ParseState(ReadOnlySpan<byte> json)
    {
        if (json.IsEmpty) return null;
        var reader = new Utf8JsonReader(json);
        return JsonElement.TryParseValue(ref reader, out var element) ? element : null;
    }

    private static HandlerStatsAnswer? Stats(AsoStats? stats) => stats is null ? null : new HandlerStatsAnswer(
        stats.Calls, stats.Failures, stats.FailuresByCode.ToDictionary(kv => kv.Key.ToString(), kv => kv.Value, StringComparer.Ordinal),
        stats.LastInstructions, stats.TotalInstructions, stats.NeighbourCalls, stats.HeapBytes, stats.PeakHeapBytes);

    /// <summary>Splits the raw target <c>/admin/keys/{ns}/{key}</c> so that %2F inside a key stays part of it.</summary>
    private static (string Ns, string Key) ParseTarget(HttpContext http)
    {
        var raw = http.Features.Get<IHttpRequestFeature>()?.RawTarget ?? http.Request.Path.Value ?? "";
        var query = raw.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0) raw = raw[..query];
        const string prefix = "/admin/keys/";
        if (!raw.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            throw new CometException(CometErrorCode.BadRequest, "The path is /admin/keys/{namespace}/{key}.");
        var rest = raw[prefix.Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == rest.Length - 1)
            throw new CometException(CometErrorCode.BadRequest, "The path is /admin/keys/{namespace}/{key}; both must be non-empty.");
        return (Uri.UnescapeDataString(rest[..slash]), Uri.UnescapeDataString(rest[(slash + 1)..]));
    }
}
