using Comet.Abstractions.Errors;

namespace Comet.Sandbox;

/// <summary>
/// A request failed inside the sandbox: bad code, a handler error, a limit, a rejection. The
/// <see cref="CometException.Code"/> says which; the message says what to fix. The object is
/// exactly as it was before the request.
/// </summary>
public sealed class AsoException : CometException
{
    public AsoException(CometErrorCode code, string message)
        : base(code, message)
    {
    }

    public AsoException(CometErrorCode code, string message, Exception? inner)
        : base(code, message, inner)
    {
    }

    public AsoException()
    {
    }

    public AsoException(string message)
        : base(message)
    {
    }

    public AsoException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
