using System.Net;
using System.Security.Cryptography;
using System.Text;
using Comet.Abstractions.Errors;
using Comet.Admin.Api;
using Comet.Grains;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Comet.Admin;

/// <summary>
/// Guards <c>/admin</c>, <c>/metrics</c> and the Orleans Dashboard with the admin key, compared in
/// constant time. Scripts send it in header <c>X-Comet-Admin-Key</c> or as
/// <c>Authorization: Bearer</c>; a browser opening the Orleans Dashboard (which shows grain state,
/// an ASO's included) gets a Basic challenge and sends the key as the password. With no key
/// configured, only dev mode lets callers from loopback in. It runs as middleware, so every
/// endpoint under a guarded path is covered, whatever form its handler takes.
/// </summary>
public sealed class AdminKeyGuard
{
    public const string HeaderName = "X-Comet-Admin-Key";

    private readonly bool _devMode;
    private readonly byte[]? _keyHash;
    private readonly string? _orleansDashboardPath;

    public AdminKeyGuard(IOptions<AdminOptions> options, IOptions<CometGridOptions> grid, string? orleansDashboardPath)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(grid);
        _devMode = grid.Value.DevMode;
        var key = options.Value.Key;
        _keyHash = string.IsNullOrEmpty(key) ? null : SHA256.HashData(Encoding.UTF8.GetBytes(key));
        _orleansDashboardPath = orleansDashboardPath;
    }

    public bool IsGuarded(PathString path) => IsAdminPath(path) || IsOrleansDashboard(path);

    /// <summary>The admin API's own paths: <c>/admin/*</c> and <c>/metrics</c>.</summary>
    public static bool IsAdminPath(PathString path) =>
        path.StartsWithSegments("/admin", StringComparison.OrdinalIgnoreCase) || path.StartsWithSegments("/metrics", StringComparison.OrdinalIgnoreCase);

    private bool IsOrleansDashboard(PathString path) =>
        _orleansDashboardPath is not null && path.StartsWithSegments(_orleansDashboardPath, StringComparison.OrdinalIgnoreCase);

    /// <summary>The key a request presents (header, bearer token, or Basic password), or null.</summary>
    public static string? PresentedKey(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Headers.TryGetValue(HeaderName, out var header) && !string.IsNullOrEmpty(header.ToString())) return header.ToString();
        var auth = request.Headers.Authorization.ToString();
        const string bearer = "Bearer ";
        const string basic = "Basic ";
        if (auth.StartsWith(bearer, StringComparison.OrdinalIgnoreCase) && auth.Length > bearer.Length) return auth[bearer.Length..].Trim();
        if (auth.StartsWith(basic, StringComparison.OrdinalIgnoreCase) && auth.Length > basic.Length)
        {
            try
            {
                // user:password; the user name is free, the password is the admin key.
                var pair = Encoding.UTF8.GetString(Convert.FromBase64String(auth[basic.Length..].Trim()));
                var colon = pair.IndexOf(':', StringComparison.Ordinal);
                return colon >= 0 ? pair[(colon + 1)..] : null;
            }
            catch (FormatException)
            {
                return null;
            }
        }
        return null;
    }

    /// <summary>Null when the request may pass, else the message of its 401.</summary>
    public string? Refusal(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (_keyHash is null)
        {
            var remote = http.Connection.RemoteIpAddress;
            if (_devMode && remote is not null && IPAddress.IsLoopback(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote)) return null;
            return "This silo has no admin key configured (Comet:Silo:Admin:Key); without one, only dev mode on loopback allows admin access.";
        }
        var presented = PresentedKey(http.Request);
        if (presented is null)
            return $"The admin API needs the admin key: send it in header {HeaderName}, or as a bearer token (Authorization: Bearer ...).";
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
            // Only the Orleans Dashboard, a page opened by people, challenges with Basic (the browser asks for the key);
            // the admin API's callers are scripts and our dashboard, which must not trigger a browser login dialog.
            http.Response.Headers.WWWAuthenticate = IsOrleansDashboard(http.Request.Path)
                ? "Basic realm=\"CometGrains admin (password: the admin key)\", charset=\"UTF-8\""
                : "Bearer realm=\"comet-admin\"";
            await AdminJson.Error(CometErrorCode.Unauthorized, message).ExecuteAsync(http).ConfigureAwait(false);
            return;
        }
        await next().ConfigureAwait(false);
    }
}
