using System.Net;

namespace Comet.Gateway.Security;

/// <summary>
/// What one caller presented, once checked: a valid API key, an invalid one, or none. Resolved once per binary
/// connection (at its handshake) and once per HTTP request; the key's revocation is re-checked on every request.
/// </summary>
public sealed class CallerCredentials
{
    private string? _account;

    private CallerCredentials(ApiKeyRecord? key, bool presented, IPAddress? address)
    {
        Key = key;
        Presented = presented;
        Address = address;
    }

    /// <summary>The valid key presented, or null.</summary>
    public ApiKeyRecord? Key { get; }

    /// <summary>Whether the caller presented any key (valid or not).</summary>
    public bool Presented { get; }

    /// <summary>The caller's address (null when unknown, e.g. an in-process pipe).</summary>
    public IPAddress? Address { get; }

    /// <summary>Who is charged for admission and rate limits: the key id, or the address for anonymous callers.</summary>
    public string Account => _account ??= Key is not null ? "key:" + Key.Id : "ip:" + (Address?.ToString() ?? "unknown");

    public static CallerCredentials Anonymous(IPAddress? address) => new(null, false, address);

    public static CallerCredentials Valid(ApiKeyRecord key, IPAddress? address) => new(key, true, address);

    public static CallerCredentials Invalid(IPAddress? address) => new(null, true, address);

    /// <summary>The same credentials seen from another address (a binary connection's, resolved after its handshake).</summary>
    internal CallerCredentials At(IPAddress? address) => new(Key, Presented, address);
}
