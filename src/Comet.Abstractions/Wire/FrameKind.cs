namespace Comet.Abstractions.Wire;

/// <summary>What a frame is for. The numeric values are the wire contract; never renumber.</summary>
public enum FrameKind : byte
{
    /// <summary>The handshake: the first frame each way on every connection (payload: <see cref="Hello"/>).</summary>
    Hello = 1,
    /// <summary>A request that expects exactly one <see cref="Response"/> or <see cref="ErrorResponse"/> with the same id.</summary>
    Request = 2,
    /// <summary>The successful answer to the request with the same id.</summary>
    Response = 3,
    /// <summary>
    /// The failed answer to the request with the same id (payload: error code + message). With request id 0
    /// it is a connection-level error: the sender is about to close the connection for that reason.
    /// </summary>
    ErrorResponse = 4,
    /// <summary>A notification that expects no answer; its request id is 0.</summary>
    OneWay = 5,
    /// <summary>A liveness probe; the peer answers <see cref="Pong"/> with the same id.</summary>
    Ping = 6,
    /// <summary>The answer to a <see cref="Ping"/>.</summary>
    Pong = 7,
}
