namespace Comet.Abstractions.Errors;

/// <summary>
/// Every error a user of CometGrains can cause or see. The names are the wire contract:
/// the REST gateway writes them as <c>{"error": "&lt;Code&gt;"}</c> and the binary protocol
/// sends the numeric value, so never renumber a member; add new ones at the end.
/// </summary>
public enum CometErrorCode
{
    /// <summary>The request is malformed (bad query value, bad JSON, bad option).</summary>
    BadRequest = 1,
    /// <summary>The key or namespace is empty, too long or not valid UTF-8.</summary>
    BadKey = 2,
    /// <summary>The ASO's Lua source does not compile, is bytecode, or is too large.</summary>
    BadCode = 3,
    /// <summary>A value, state, code or frame is larger than the configured limit.</summary>
    TooLarge = 4,
    /// <summary>No live object under that key (never stored, deleted or expired).</summary>
    NotFound = 5,
    /// <summary>No credentials, or credentials that do not verify.</summary>
    Unauthorized = 6,
    /// <summary>Valid credentials that do not grant this namespace or operation.</summary>
    Forbidden = 7,
    /// <summary>The object's own code refused the request (onPut or onUpdate returned false).</summary>
    Rejected = 8,
    /// <summary>A handler raised a Lua error; the message carries the Lua message and line.</summary>
    HandlerError = 9,
    /// <summary>A handler ran past its Lua VM instruction budget.</summary>
    InstructionLimit = 10,
    /// <summary>A handler tried to grow the object's Lua heap past its budget.</summary>
    MemoryLimit = 11,
    /// <summary>A handler ran past its wall-clock budget.</summary>
    TimeLimit = 12,
    /// <summary>Too many requests for this client or object, or too many neighbour calls.</summary>
    RateLimited = 13,
    /// <summary>Fewer replicas answered than the read or write quorum needs.</summary>
    QuorumNotReached = 14,
    /// <summary>The request did not complete in time.</summary>
    Timeout = 15,
    /// <summary>The silo or gateway cannot serve now (shutting down, not yet joined).</summary>
    Unavailable = 16,
    /// <summary>A binary protocol frame could not be decoded.</summary>
    MalformedFrame = 17,
    /// <summary>A conditional write lost to a concurrent one (stale version or ETag).</summary>
    Conflict = 18,
    /// <summary>The namespace does not exist.</summary>
    UnknownNamespace = 19,
    /// <summary>A bug or an unexpected failure inside the store.</summary>
    Internal = 20,
}
