using Comet.Abstractions.Errors;

namespace Comet.Abstractions.Wire;

/// <summary>
/// Bytes on a connection that are not a valid frame (bad length, unknown kind, truncated frame, a frame out of
/// protocol order). The connection that carried them is closed with this as its reason; other connections go on.
/// </summary>
public sealed class MalformedFrameException : CometException
{
    public MalformedFrameException(string message)
        : base(CometErrorCode.MalformedFrame, message) { }

    public MalformedFrameException(string message, Exception? inner)
        : base(CometErrorCode.MalformedFrame, message, inner) { }

    public MalformedFrameException()
        : base(CometErrorCode.MalformedFrame, "Malformed frame.") { }
}
