using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Comet.Abstractions.Errors;

namespace Comet.Client.Connection;

/// <summary>Turns the <c>host:port</c> gateways a user names into the IP endpoints Orleans's static clustering needs.</summary>
internal static class GatewayAddress
{
    /// <summary>Parses <c>host:port</c>, <c>1.2.3.4:port</c> or <c>[v6]:port</c>; throws <see cref="ArgumentException"/> saying what is wrong.</summary>
    public static (string Host, int Port) Parse(string text)
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
        return (host, port);
    }

    /// <summary>
    /// The endpoints of every gateway, host names resolved now (Orleans's static gateway list holds IP endpoints), in the
    /// order given and without duplicates. A name that does not resolve is <see cref="CometErrorCode.Unavailable"/>.
    /// </summary>
    public static async Task<IPEndPoint[]> ResolveAsync(IReadOnlyList<string> gateways, CancellationToken cancellationToken)
    {
        var endPoints = new List<IPEndPoint>(gateways.Count);
        foreach (var gateway in gateways)
        {
            var (host, port) = Parse(gateway);
            if (IPAddress.TryParse(host, out var literal))
            {
                Add(endPoints, new IPEndPoint(literal, port));
                continue;
            }
            IPAddress[] addresses;
            try
            {
                addresses = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                throw new CometException(CometErrorCode.Unavailable, $"Gateway '{gateway}': the host name '{host}' does not resolve ({ex.Message}).", ex);
            }
            foreach (var address in addresses) Add(endPoints, new IPEndPoint(address, port));
        }
        return [.. endPoints];
    }

    private static void Add(List<IPEndPoint> endPoints, IPEndPoint endPoint)
    {
        if (!endPoints.Contains(endPoint)) endPoints.Add(endPoint);
    }
}
