using System.Net;
using Microsoft.Extensions.Logging;

namespace Comet.Grid.Transport;

/// <summary>The transport's log messages (source-generated: no allocation when the level is off).</summary>
internal static partial class TransportLog
{
    [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "Listening for frames on {EndPoint} as {NodeId}")]
    public static partial void Listening(ILogger logger, EndPoint endPoint, string nodeId);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Debug, Message = "Accepted a connection from {Peer} ({Role} {NodeId})")]
    public static partial void ConnectionAccepted(ILogger logger, EndPoint? peer, string role, string nodeId);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Debug, Message = "Connection {Connection} closed: {Reason}")]
    public static partial void ConnectionClosed(ILogger logger, string connection, string reason);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Closed the connection from {Peer}: {Reason}")]
    public static partial void MalformedFrame(ILogger logger, string peer, string reason);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "Refused the handshake from {Peer}: {Code} {Reason}")]
    public static partial void HandshakeRefused(ILogger logger, EndPoint? peer, string code, string reason);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Information, Message = "Handshake with {Peer} did not complete: {Reason}")]
    public static partial void HandshakeFailed(ILogger logger, EndPoint? peer, string reason);

    [LoggerMessage(EventId = 1106, Level = LogLevel.Warning, Message = "Closed the connection from {Peer} at accept: {Reason}")]
    public static partial void AcceptRejected(ILogger logger, EndPoint? peer, string reason);

    [LoggerMessage(EventId = 1107, Level = LogLevel.Error, Message = "Accepting connections on {EndPoint} failed")]
    public static partial void AcceptFailed(ILogger logger, EndPoint endPoint, Exception exception);

    [LoggerMessage(EventId = 1108, Level = LogLevel.Error, Message = "On connection {Connection}: {Message}")]
    public static partial void HandlerFailed(ILogger logger, string connection, string message, Exception exception);

    [LoggerMessage(EventId = 1109, Level = LogLevel.Debug, Message = "On connection {Connection}: {Message}")]
    public static partial void ConnectionDiagnostic(ILogger logger, string connection, string message);

    [LoggerMessage(EventId = 1110, Level = LogLevel.Information, Message = "Stopped listening on {EndPoint}; closing {Count} connections")]
    public static partial void Stopping(ILogger logger, EndPoint endPoint, int count);
}
