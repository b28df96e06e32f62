using Microsoft.AspNetCore.Http;

namespace Comet.Gateway.Security;

/// <summary>Where a REST caller puts its API key: <c>Authorization: Bearer &lt;key&gt;</c>, or <c>X-Comet-Key: &lt;key&gt;</c>.</summary>
public static class HttpCredentials
{
    public const string KeyHeader = "X-Comet-Key";

    /// <summary>The key the request presents, or null when it presents none.</summary>
    public static string? PresentedKey(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Headers.TryGetValue(KeyHeader, out var header) && header.Count > 0 && !string.IsNullOrEmpty(header[0])) return header[0]!.Trim();
        var authorization = request.Headers.Authorization;
        if (authorization.Count == 0 || string.IsNullOrEmpty(authorization[0])) return null;
        var value = authorization[0]!;
        const string bearer = "Bearer ";
        // Any other scheme is a key we cannot read: report it as a wrong key, not as none.
        return value.StartsWith(bearer, StringComparison.OrdinalIgnoreCase) ? value[bearer.Length..].Trim() : value;
    }
}
