using Microsoft.Extensions.Logging;

namespace Comet.Grid.Security;

/// <summary>The security layer's log messages (source-generated).</summary>
internal static partial class SecurityLog
{
    [LoggerMessage(EventId = 1300, Level = LogLevel.Warning, Message = "Re-reading the API key table failed; serving with the keys already known")]
    public static partial void KeyRefreshFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "Refused silo {NodeId}: {Reason}")]
    public static partial void SiloRefused(ILogger logger, string nodeId, string reason);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Warning, Message = "Dev mode is off but no cluster secret is configured: silo-to-silo connections are not authenticated. Set Comet:Silo:Security:ClusterSecret.")]
    public static partial void NoClusterSecret(ILogger logger);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Information, Message = "Refused a client handshake from {NodeId}: {Reason}")]
    public static partial void ClientRefused(ILogger logger, string nodeId, string reason);
}
