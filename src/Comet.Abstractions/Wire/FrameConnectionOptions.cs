namespace Comet.Abstractions.Wire;

/// <summary>Limits and timeouts of one <see cref="FrameConnection"/>; share one instance between connections.</summary>
public sealed class FrameConnectionOptions
{
    /// <summary>Largest frame (length-prefix value: 12-byte header + payload) sent or accepted. Default 4 MiB.</summary>
    public int MaxFrameSize { get; set; } = FrameCodec.DefaultMaxFrameSize;

    /// <summary>
    /// How long a request waits for its response before failing with <c>Timeout</c>.
    /// <see cref="Timeout.InfiniteTimeSpan"/> turns it off. Default 30 s (Orleans's ResponseTimeout).
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the peer has to complete the Hello exchange. Default 10 s.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a started frame may stay incomplete before the connection is closed (slow or stalled senders
    /// holding buffers). <see cref="Timeout.InfiniteTimeSpan"/> turns it off. Default 30 s.
    /// </summary>
    public TimeSpan PartialFrameTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a graceful close waits for incoming requests to be answered and queued frames to be sent. Default 5 s.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Run the request handler on the reader loop until its first await instead of queueing it to the thread pool.
    /// Faster for handlers that answer at once or go async quickly; a handler that computes for long before its first
    /// await then stalls every other frame on the connection. Default false.
    /// </summary>
    public bool DispatchRequestsInline { get; set; }

    /// <summary>Size of the receive buffer handed to the socket per read. Default 64 KiB.</summary>
    public int ReceiveBufferSize { get; set; } = 64 * 1024;

    /// <summary>Fault injection consulted at handshake and when it changes (tests); null in production.</summary>
    public TransportFaults? Faults { get; set; }

    internal void Validate()
    {
        if (MaxFrameSize < Hello.MaxFrameSize)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxFrameSize), MaxFrameSize, $"MaxFrameSize must be at least {Hello.MaxFrameSize} bytes.");
        }

        ValidateTimeout(RequestTimeout, nameof(RequestTimeout));
        ValidateTimeout(HandshakeTimeout, nameof(HandshakeTimeout));
        ValidateTimeout(PartialFrameTimeout, nameof(PartialFrameTimeout));
        ValidateTimeout(DrainTimeout, nameof(DrainTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(ReceiveBufferSize, 1024, nameof(ReceiveBufferSize));
    }

    private static void ValidateTimeout(TimeSpan value, string name)
    {
        if (value != Timeout.InfiniteTimeSpan && value < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive or Timeout.InfiniteTimeSpan.");
        }
    }
}
