using System.Globalization;
using System.Net;

namespace Comet.Client.Routing;

/// <summary>Turns <c>host:port</c> text (gateways given by the user, hosts from the cluster view) into endpoints.</summary>
internal static class GatewayAddress
{
    /// <summary>Parses <c>host:port</c>, <c>1.2.3.4:port</c> or <c>[v6]:port</c>; throws <see cref="ArgumentException"/> saying what is wrong.</summary>
    public static EndPoint Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
            throw new ArgumentException("A gateway is empty; write it as host:port, e.g. 127.0.0.1:30000.");
        var trimmed = text.Trim();
        var colon = trimmed.LastIndexOf(':');
        if (colon < 0 || colon == trimmed.Length - 1)
            throw new ArgumentException($"Gateway '{text}' has no port; write it as host:port, e.g. 127.0.0.1:30000.");
        if (colon == 0)
            throw new ArgumentException($"Gateway '{text}' has no host; write it as host:port, e.g. 127.0.0.1:30000.");
        var host = trimmed[..colon];
        if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
        else if (host.Contains(':', StringComparison.Ordinal))
            throw new ArgumentException($"Gateway '{text}': put an IPv6 address in brackets, e.g. [::1]:30000.");
        if (!int.TryParse(trimmed.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new ArgumentException($"Gateway '{text}' has port '{trimmed[(colon + 1)..]}'; ports are 1..65535, e.g. 127.0.0.1:30000.");
        return EndPointOf(host, port);
    }

    /// <summary>An IP endpoint for an address literal, otherwise a DNS endpoint (resolved when dialled).</summary>
    public static EndPoint EndPointOf(string host, int port)
    {
        if (host.Length == 0) throw new ArgumentException("A host name is empty.", nameof(host));
        return IPAddress.TryParse(host, out var address) ? new IPEndPoint(address, port) : new DnsEndPoint(host, port);
    }
}
