using System.Text.Json;
using Comet.Abstractions.Errors;
using Comet.Admin.Api;
using Comet.Gateway.Security;
using Comet.Grains;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Comet.Admin.Security;

/// <summary>
/// Namespace API keys in the admin API: <c>POST /admin/namespaces/{ns}/keys</c> creates one and answers its full
/// text once (only its hash is stored), <c>GET</c> lists ids and metadata (never secrets), <c>DELETE
/// …/keys/{id}</c> revokes one; every silo stops accepting it within <see cref="SecurityOptions.KeyRefreshPeriod"/>.
/// Keys live in the cluster's registry grain, through this silo's <see cref="ApiKeyStore"/>. The admin group
/// around these requires the admin key, so client API keys are refused here.
/// </summary>
public static class ApiKeyEndpoints
{
    /// <summary>Maps the API-key endpoints into the admin group (which already requires the admin key).</summary>
    public static RouteGroupBuilder MapApiKeyEndpoints(this RouteGroupBuilder admin)
    {
        ArgumentNullException.ThrowIfNull(admin);
        admin.MapPost("/namespaces/{ns}/keys", (HttpContext http, string ns) => CreateAsync(http, ns))
            .WithName("CreateApiKey").WithTags("Security")
            .WithSummary("Creates an API key for the namespace; the answer holds the key's secret, shown this once.")
            .Produces<ApiKeyCreatedAnswer>(StatusCodes.Status201Created)
            .Produces<Gateway.Rest.ErrorAnswer>(StatusCodes.Status404NotFound);
        admin.MapGet("/namespaces/{ns}/keys", (HttpContext http, string ns) => ListAsync(http, ns))
            .WithName("ListApiKeys").WithTags("Security")
            .WithSummary("Lists the namespace's API keys (ids and metadata; secrets are never stored).")
            .Produces<ApiKeyListAnswer>()
            .Produces<Gateway.Rest.ErrorAnswer>(StatusCodes.Status404NotFound);
        admin.MapDelete("/namespaces/{ns}/keys/{id}", (HttpContext http, string ns, string id) => RevokeAsync(http, ns, id))
            .WithName("RevokeApiKey").WithTags("Security")
            .WithSummary("Revokes an API key; every silo refuses it within seconds.")
            .Produces(StatusCodes.Status204NoContent)
            .Produces<Gateway.Rest.ErrorAnswer>(StatusCodes.Status404NotFound);
        return admin;
    }

    private static async Task<IResult> CreateAsync(HttpContext http, string ns)
    {
        if (UnknownNamespace(http, ns) is { } missing) return missing;
        string? name = null;
        if (http.Request.ContentLength is > 0 || http.Request.Headers.TransferEncoding.Count > 0)
        {
            try
            {
                var body = await http.Request.ReadFromJsonAsync<ApiKeyCreateRequest>(AdminJson.Options, http.RequestAborted).ConfigureAwait(false);
                name = body?.Name;
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException or BadHttpRequestException)
            {
                return AdminJson.Error(CometErrorCode.BadRequest, "The body is optional; when sent it is JSON {\"name\": \"<label>\"}.");
            }
        }
        try
        {
            var created = await Keys(http).CreateAsync(ns, name, http.RequestAborted).ConfigureAwait(false);
            var answer = new ApiKeyCreatedAnswer(created.Record.Id, ns, created.Key, created.Record.Name,
                DateTimeOffset.FromUnixTimeMilliseconds(created.Record.CreatedAtMs));
            return Results.Json(answer, AdminJson.Options, statusCode: StatusCodes.Status201Created);
        }
        catch (CometException ex)
        {
            return AdminJson.Error(ex.Code, ex.Message);
        }
    }

    private static async Task<IResult> ListAsync(HttpContext http, string ns)
    {
        if (UnknownNamespace(http, ns) is { } missing) return missing;
        var keys = await Keys(http).ListAsync(ns, http.RequestAborted).ConfigureAwait(false);
        var items = new List<ApiKeyInfo>(keys.Count);
        foreach (var key in keys) items.Add(ApiKeyInfo.Of(key));
        return AdminJson.Ok(new ApiKeyListAnswer(ns, items));
    }

    private static async Task<IResult> RevokeAsync(HttpContext http, string ns, string id)
    {
        if (UnknownNamespace(http, ns) is { } missing) return missing;
        if (!ApiKeyToken.IsId(id) || !await Keys(http).RevokeAsync(ns, id, http.RequestAborted).ConfigureAwait(false))
            return AdminJson.Error(CometErrorCode.NotFound, $"Namespace '{ns}' has no API key '{id}'; GET /admin/namespaces/{ns}/keys lists them.");
        return Results.NoContent();
    }

    private static ApiKeyStore Keys(HttpContext http) => http.RequestServices.GetRequiredService<ApiKeyStore>();

    private static IResult? UnknownNamespace(HttpContext http, string ns) =>
        http.RequestServices.GetRequiredService<IOptions<CometGridOptions>>().Value.Namespaces.ContainsKey(ns)
            ? null
            : AdminJson.Error(CometErrorCode.UnknownNamespace, $"Namespace '{ns}' does not exist; namespaces are configured in Comet:Silo:Namespaces.");
}

/// <summary>Optional body of a key creation.</summary>
public sealed record ApiKeyCreateRequest(string? Name);

/// <summary>A created key: <see cref="Key"/> is its full text, shown only in this answer.</summary>
public sealed record ApiKeyCreatedAnswer(string Id, string Namespace, string Key, string? Name, DateTimeOffset CreatedAt);

/// <summary>One key as listed (no secret).</summary>
public sealed record ApiKeyInfo(string Id, string Namespace, string? Name, DateTimeOffset CreatedAt, bool Revoked, DateTimeOffset? RevokedAt)
{
    public static ApiKeyInfo Of(ApiKeyRecord key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new(key.Id, key.Namespace, key.Name, DateTimeOffset.FromUnixTimeMilliseconds(key.CreatedAtMs), key.IsRevoked,
            key.IsRevoked ? DateTimeOffset.FromUnixTimeMilliseconds(key.RevokedAtMs) : null);
    }
}

/// <summary>The keys of a namespace.</summary>
public sealed record ApiKeyListAnswer(string Namespace, IReadOnlyList<ApiKeyInfo> Keys);
