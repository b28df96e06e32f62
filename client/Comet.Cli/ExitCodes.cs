using Comet.Abstractions.Errors;

namespace Comet.Cli;

/// <summary>The exit codes of <c>comet</c>: scripts switch on these, so never renumber them.</summary>
internal static class ExitCodes
{
    /// <summary>The command did what was asked.</summary>
    public const int Ok = 0;

    /// <summary>Anything not covered below (an internal error, a cancelled command, auth).</summary>
    public const int Failure = 1;

    /// <summary>No live object under the key (never stored, deleted or expired), or no such kept version.</summary>
    public const int NotFound = 2;

    /// <summary>The object's own code said no (onPut/onUpdate rejected, a handler failed or hit a sandbox limit), or a conflict.</summary>
    public const int Rejected = 3;

    /// <summary>Bad input: key, namespace, value, code, options, args, or command-line syntax.</summary>
    public const int BadInput = 4;

    /// <summary>The cluster could not answer now: unreachable, quorum not reached, timed out, rate limited. Retry later.</summary>
    public const int Unavailable = 5;

    /// <summary>The lines <c>comet --help</c> prints about exit codes.</summary>
    public static readonly IReadOnlyList<(string Code, string Meaning)> Documentation =
    [
        ("0", "success"),
        ("1", "any other failure (internal error, cancelled, unauthorized)"),
        ("2", "not found: no live object under the key (never stored, deleted or expired)"),
        ("3", "rejected: the object's code said no (onPut/onUpdate returned false, handler error, sandbox limit)"),
        ("4", "bad input: key, namespace, value, Lua code, options, --args JSON, command-line syntax"),
        ("5", "unavailable: no silo reachable, quorum not reached, timeout, rate limited (retry later)"),
    ];

    public static int Of(CometErrorCode code) => code switch
    {
        CometErrorCode.NotFound => NotFound,
        CometErrorCode.Rejected or CometErrorCode.HandlerError or CometErrorCode.InstructionLimit or CometErrorCode.MemoryLimit
            or CometErrorCode.TimeLimit or CometErrorCode.Conflict => Rejected,
        CometErrorCode.BadRequest or CometErrorCode.BadKey or CometErrorCode.BadCode or CometErrorCode.TooLarge
            or CometErrorCode.UnknownNamespace => BadInput,
        CometErrorCode.Unavailable or CometErrorCode.QuorumNotReached or CometErrorCode.Timeout or CometErrorCode.RateLimited => Unavailable,
        _ => Failure,
    };
}
