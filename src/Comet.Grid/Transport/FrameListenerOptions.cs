using System.Net;
using Comet.Abstractions.Wire;

namespace Comet.Grid.Transport;

/// <summary>Where and how a <see cref="FrameListener"/> accepts connections.</summary>
public sealed class FrameListenerOptions
{
    /// <summary>The address to bind. Port 0 lets the OS choose (read it back from <see cref="FrameListener.LocalEndPoint"/>). Default 127.0.0.1:0.</summary>
    public IPEndPoint EndPoint { get; set; } = new(IPAddress.Loopback, 0);

    /// <summary>Pending connections the OS queues before they are accepted. Default 512.</summary>
    public int Backlog { get; set; } = 512;

    /// <summary>Connections served at once (including those still in the handshake); more are closed at accept. Default 10,000.</summary>
    public int MaxConnections { get; set; } = 10_000;

    /// <summary>How long <see cref="FrameListener.StopAsync"/> lets in-flight requests finish before closing anyway. Default 10 s.</summary>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>TLS on every accepted connection (the server certificate and its settings). Null (default): plain TCP.</summary>
    public System.Net.Security.SslServerAuthenticationOptions? Tls { get; set; }

    /// <summary>
    /// Builds our Hello for each accepted connection (a fresh cluster-secret proof each time). Null (default): the
    /// listener's constructor Hello answers every peer.
    /// </summary>
    public Func<Hello>? HelloFactory { get; set; }

    /// <summary>Options of every accepted connection (frame size, timeouts, fault injection).</summary>
    public FrameConnectionOptions Connection { get; set; } = new();
}
