using Comet.Abstractions.Options;
using System.Net;
using Comet.Abstractions.Errors;
using Comet.Grains;

namespace Comet.Gateway.Security;

/// <summary>
/// Decides whether a caller may use a namespace. The rules, the same for REST and the binary protocol:
/// <list type="number">
/// <item>A key that was presented must be valid and not revoked, else Unauthorized (401), even where anonymous
/// access would be allowed: a wrong key is a mistake to report, not to ignore.</item>
/// <item>A valid key may use its own namespace only, else Forbidden (403).</item>
/// <item>Without a key, only in dev mode, only from a loopback address, and only namespaces configured with
/// <see cref="NamespaceOptions.AllowAnonymous"/>; otherwise Unauthorized (401). Whether keys exist for the namespace
/// does not matter: openness is the operator's setting, not a side effect of creating the first key.</item>
/// </list>
/// A namespace that does not exist is left to the coordinator (UnknownNamespace) for callers who could otherwise
/// use it (valid keys, and dev-mode loopback callers); other anonymous callers learn nothing about which exist.
/// </summary>
public sealed class RequestAuthorizer
{
    private readonly CometGridOptions _options;
    private readonly ApiKeyStore _keys;

    public RequestAuthorizer(CometGridOptions options, ApiKeyStore keys)
    {
        _options = options;
        _keys = keys;
    }

    /// <summary>Throws <see cref="CometException"/> Unauthorized or Forbidden when the caller may not use <paramref name="ns"/>.</summary>
    public void Authorize(CallerCredentials caller, string ns)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (caller.Key is { } key)
        {
            if (!_keys.IsActive(key.Id))
                throw new CometException(CometErrorCode.Unauthorized, $"API key {key.Id} has been revoked; ask the operator for a new key.");
            if (!string.Equals(key.Namespace, ns, StringComparison.Ordinal))
                throw new CometException(CometErrorCode.Forbidden, $"API key {key.Id} is for namespace '{key.Namespace}'; it cannot use namespace '{ns}'.");
            return;
        }
        if (caller.Presented)
            throw new CometException(CometErrorCode.Unauthorized, "The API key is not valid (wrong, malformed or revoked); check the key you were given.");
        var local = _options.DevMode && IsLoopback(caller.Address);
        if (local && (!_options.Namespaces.TryGetValue(ns, out var options) || options.AllowAnonymous)) return;
        throw new CometException(CometErrorCode.Unauthorized,
            _options.DevMode
                ? $"Namespace '{ns}' needs an API key (anonymous access is for namespaces that allow it, from loopback, in dev mode); send 'Authorization: Bearer <key>' or set CometClientOptions.ApiKey."
                : $"Namespace '{ns}' needs an API key; send 'Authorization: Bearer <key>' or set CometClientOptions.ApiKey.");
    }

    private static bool IsLoopback(IPAddress? address) =>
        address is not null && IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);
}
