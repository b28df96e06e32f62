namespace Comet.Abstractions.Errors;

/// <summary>The REST gateway's mapping of error codes to HTTP statuses (DESIGN.md, Interfaces).</summary>
public static class ErrorCodeHttp
{
    public static int StatusOf(CometErrorCode code) => code switch
    {
        CometErrorCode.BadRequest or CometErrorCode.BadKey or CometErrorCode.BadCode
            or CometErrorCode.MalformedFrame => 400,
        CometErrorCode.Unauthorized => 401,
        CometErrorCode.Forbidden => 403,
        CometErrorCode.NotFound or CometErrorCode.UnknownNamespace => 404,
        CometErrorCode.Rejected or CometErrorCode.Conflict => 409,
        CometErrorCode.TooLarge => 413,
        CometErrorCode.HandlerError or CometErrorCode.InstructionLimit or CometErrorCode.MemoryLimit
            or CometErrorCode.TimeLimit => 422,
        CometErrorCode.RateLimited => 429,
        CometErrorCode.QuorumNotReached or CometErrorCode.Unavailable => 503,
        CometErrorCode.Timeout => 504,
        _ => 500,
    };
}
