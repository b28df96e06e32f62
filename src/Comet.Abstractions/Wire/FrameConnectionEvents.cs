using Comet.Abstractions.Errors;

namespace Comet.Abstractions.Wire;

/// <summary>Why a connection closed.</summary>
public sealed class FrameConnectionClosedEventArgs(CometException reason) : EventArgs
{
    /// <summary>
    /// The reason: a <see cref="MalformedFrameException"/> for bad input, Timeout for a stalled peer, Unauthorized or
    /// BadRequest for a refused handshake, Unavailable for a peer that went away or a local close.
    /// </summary>
    public CometException Reason { get; } = reason;

    /// <summary>True when the connection was closed because the peer sent bytes that are not a valid frame.</summary>
    public bool IsMalformedFrame => Reason is MalformedFrameException;
}

/// <summary>A non-fatal anomaly on a connection, for logs: a response to an unknown request id, a failed handler.</summary>
public sealed class FrameDiagnosticEventArgs(string message, Exception? exception) : EventArgs
{
    public string Message { get; } = message;

    public Exception? Exception { get; } = exception;
}
