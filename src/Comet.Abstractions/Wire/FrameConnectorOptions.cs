namespace Comet.Abstractions.Wire;

/// <summary>How a <see cref="FrameConnector"/> dials and pools connections.</summary>
public sealed class FrameConnectorOptions
{
    /// <summary>
    /// Long-lived connections kept per endpoint, used round-robin: 1 (default) or 2. Measured here: 1–2 connections
    /// with many requests in flight are fastest; 4 was slower (DESIGN.md, Transport).
    /// </summary>
    public int ConnectionsPerEndpoint { get; set; } = 1;

    /// <summary>How long dialling plus the handshake may take. Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// TLS for every connection (its <see cref="System.Net.Security.SslClientAuthenticationOptions.TargetHost"/>
    /// defaults to the dialled host). Null (default): plain TCP.
    /// </summary>
    public System.Net.Security.SslClientAuthenticationOptions? Tls { get; set; }

    /// <summary>Options of every connection this connector makes.</summary>
    public FrameConnectionOptions Connection { get; set; } = new();

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ConnectionsPerEndpoint, 1, nameof(ConnectionsPerEndpoint));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ConnectionsPerEndpoint, 2, nameof(ConnectionsPerEndpoint));
        if (ConnectTimeout <= TimeSpan.Zero && ConnectTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(ConnectTimeout), ConnectTimeout, "ConnectTimeout must be positive.");
        }

        ArgumentNullException.ThrowIfNull(Connection, nameof(Connection));
        Connection.Validate();
    }
}
