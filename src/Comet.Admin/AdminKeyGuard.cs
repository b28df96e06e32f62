using System.Net;
using System.Security.Cryptography;
using System.Text;
using Comet.Abstractions.Errors;
using Comet.Admin.Api;
using Comet.Grid.Hosting;
using Microsoft.AspNetCore.Http;

namespace Comet.Admin;

/// <summary>
/// Guards <c>/admin</c> and <c>/metrics</c> with the silo's admin key (header
/// <c>X-Comet-Admin-Key</c> or <c>Authorization: Bearer</c>), compared in constant time. With no
/// key configured, only dev mode lets anonymous callers from loopback in. It runs as middleware
/// (after routing, before the endpoint), so every endpoint under <c>/admin</c> is covered,
/// whatever form its handler takes.
/// </summary>
public sealed class AdminKeyGuard
{
    public const string HeaderName = "X-Comet-Admin-Key";

    private readonly SiloOptions _options;
    private readonly byte[]? _keyHash;

    public AdminKeyGuard(SiloOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        var key = options.Admin.Key;
        _keyHash = string.IsNullOrEmpty(key) ? null : SHA256.HashData(Encoding.UTF8.GetBytes(key));
    }

    public static bool IsGuarded(PathString path) =>
        path.StartsWithSegments("/admin", StringComparison.OrdinalIgnoreCase) || path.StartsWithSegments("/metrics", StringComparison.OrdinalIgnoreCase);

    /// <summary>The key a request presents, or null.</summary>
    public static string? PresentedKey(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Headers.TryGetValue(HeaderName, out var header) && !string.IsNullOrEmpty(header.ToString())) return header.ToString();
        var auth = request.Headers.Authorization.ToString();
        const string bearer = "Bearer ";
        return auth.StartsWith(bearer, StringComparison.OrdinalIgnoreCase) && auth.Length > bearer.Length ? auth[bearer.Length..].Trim() : null;
    }

    /// <summary>Null when the request may pass, else the message of its 401.</summary>
    public string? Refusal(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var presented = PresentedKey(http.Request);
        if (_keyHash is null)
        {
            var remote = http.Connection.RemoteIpAddress;
            if (_options.DevMode && remote is not null && IPAddress.IsLoopback(remote)) return null;
            return "This silo has no admin key configured (Comet:Silo:Admin:Key); without one, only dev mode on loopback allows admin access.";
        }
        if (presented is null) return $"The admin API needs the admin key: send it in header {HeaderName}, or as a bearer token (Authorization: Bearer ...).";
        var presentedHash = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        return CryptographicOperations.FixedTimeEquals(presentedHash, _keyHash) ? null : "The admin key is wrong.";
    }

    /// <summary>The middleware: refuses guarded paths with 401 and the JSON error before any endpoint runs.</summary>
    public async Task InvokeAsync(HttpContext http, Func<Task> next)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(next);
        if (IsGuarded(http.Request.Path) && Refusal(http) is { } message)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer realm=\"comet-admin\"";
            await AdminJson.Error(CometErrorCode.Unauthorized, message).ExecuteAsync(http).ConfigureAwait(false);
            return;
        }
        await next().ConfigureAwait(false);
    }
}
