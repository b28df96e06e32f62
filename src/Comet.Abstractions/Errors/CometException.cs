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

    /// <summary>
    /// The causal context a failed read saw, as a token: a NotFound answer carries it (the empty context
    /// when nothing was ever stored, or the tombstones' context after a delete), so that a put that creates
    /// the key can send it and be concurrent with, rather than overwrite, another client's create.
    /// </summary>
    public string? Context { get; init; }

    public override string ToString() => $"{Code}: {Message}";
}
