namespace Comet.Abstractions.Errors;

/// <summary>
/// The one exception type users of CometGrains catch: a code they can switch on and a
/// message that says what to fix. Silos, the SDK and the sandbox all raise it.
/// </summary>
public class CometException : Exception
{
    public CometException(CometErrorCode code, string message)
        : base(message) => Code = code;

    public CometException(CometErrorCode code, string message, Exception? inner)
        : base(message, inner) => Code = code;

    public CometException() : this(CometErrorCode.Internal, "Unknown error.") { }

    public CometException(string message) : this(CometErrorCode.Internal, message) { }

    public CometException(string message, Exception innerException)
        : this(CometErrorCode.Internal, message, innerException) { }

    public CometErrorCode Code { get; }

    public override string ToString() => $"{Code}: {Message}";
}
