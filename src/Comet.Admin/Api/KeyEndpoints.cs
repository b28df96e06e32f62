using System.Globalization;
using System.Text;
using System.Text.Json;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Keys;
using Comet.Abstractions.Protocol;
using Comet.Grains;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Comet.Admin.Api;

/// <summary>
/// <c>GET /admin/keys/{ns}/{key}</c>, the key inspector: replica grains 0..N-1 of the key, each
/// asked through <see cref="IReplicaGrain.InspectAsync"/> for what it holds (versions, expiry,
/// code, state, handler statistics). This is the one place an ASO's state is shown, and only to
/// the admin key; clients reach it only through the object's own handlers.
/// </summary>
public static class KeyEndpoints
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    public static RouteGroupBuilder MapKeyEndpoints(this RouteGroupBuilder admin)
    {
        admin.MapGet("/keys/{ns}/{**key}", (HttpRequest request) => InspectAsync(request.HttpContext))
            .WithName("InspectKey").WithTags("Keys")
            .WithSummary("One key's replicas 0..N-1: where each replica grain is, its versions, expiry, kind, code, state and ASO handler statistics. Encode '/' inside a key as %2F.")
            .WithMetadata(new OpenApi.QueryParameter("n", "integer", "Replicas to show (default: the namespace's N)."))
            .Produces<KeyAnswer>()
            .Produces<Gateway.Rest.ErrorAnswer>(StatusCodes.Status404NotFound);
        return admin;
    }

    private static async Task<IResult> InspectAsync(HttpContext http)
    {
        var services = http.RequestServices;
        var grid = services.GetRequiredService<IOptions<CometGridOptions>>().Value;
        var timeout = services.GetRequiredService<IOptions<AdminOptions>>().Value.PeerTimeout;
        ObjectKey key;
        int n;
        try
        {
            var (ns, name) = ParseTarget(http);
            key = ObjectKey.Create(ns, name, grid.Limits);
            n = services.GetRequiredService<Coordinator>().Namespace(ns).N;
            if (http.Request.Query.TryGetValue("n", out var text)
                && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out n) || n is < 1 or > 16))
                throw new CometException(CometErrorCode.BadRequest, $"Query 'n={text}' must be a whole number from 1 to 16.");
        }
        catch (CometException ex)
        {
            return AdminJson.Error(ex.Code, ex.Message);
        }

        var grains = services.GetRequiredService<IGrainFactory>();
        var ring = services.GetRequiredService<RingView>().Current;
        var replicas = await Task.WhenAll(Enumerable.Range(0, n).Select(r => ReplicaAsync(grains, ring, key, r, timeout))).ConfigureAwait(false);
        return AdminJson.Ok(new KeyAnswer(key.Namespace, key.Key, ring.Ring.PartitionOf(key.Hash), ring.Ring.PreferenceList(key.Hash, n), replicas));
    }

    private static async Task<ReplicaAnswer> ReplicaAsync(IGrainFactory grains, RingView.Snapshot ring, ObjectKey key, int rank, TimeSpan timeout)
    {
        var ringSilo = ring.SiloFor(key.Hash, rank);
        try
        {
            var replica = grains.GetGrain<IReplicaGrain>(ReplicaGrainKey.Format(key.Namespace, key.Key, rank));
            return ToAnswer(await replica.InspectAsync().WaitAsync(timeout).ConfigureAwait(false), ringSilo, rank);
        }
        catch (Exception ex) when (ex is TimeoutException or OrleansException or SiloUnavailableException or CometException)
        {
            return new ReplicaAnswer(ringSilo ?? "", ringSilo, rank, false, ex is TimeoutException ? "did not answer in time" : ex.Message, [], 0, null);
        }
    }

    public static ReplicaAnswer ToAnswer(ReplicaInspection inspection, string? ringSilo, int rank)
    {
        ArgumentNullException.ThrowIfNull(inspection);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var versions = new List<VersionAnswer>(inspection.Live.Count);
        foreach (var v in inspection.Live)
        {
            JsonElement? state = null;
            string? value = null;
            string? base64 = null;
            HandlerStatsAnswer? handler = null;
            if (v.Kind == ObjectKind.Aso)
            {
                state = ParseState(v.Data.Span);
                handler = new HandlerStatsAnswer(v.HandlerCalls, v.HandlerFailures, v.HeapBytes);
            }
            else if (v.Kind == ObjectKind.Value)
            {
                base64 = Convert.ToBase64String(v.Data.Span);
                try
                {
                    value = StrictUtf8.GetString(v.Data.Span);
                }
                catch (DecoderFallbackException)
                {
                    // Binary: base64 only.
                }
            }
            var expires = v.ExpiresAtMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(v.ExpiresAtMs) : (DateTimeOffset?)null;
            versions.Add(new VersionAnswer(v.Version, KindName(v.Kind), DateTimeOffset.FromUnixTimeMilliseconds(v.WrittenAtMs), expires,
                v.ExpiresAtMs > 0 && v.ExpiresAtMs <= now, v.Code, state, value, base64, handler));
        }
        return new ReplicaAnswer(inspection.Silo, ringSilo, rank, true, null, versions, inspection.HistoryCount, inspection.TimerPeriodSeconds);
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
