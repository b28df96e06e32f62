using Microsoft.Extensions.Logging;

namespace Comet.Gateway.Security;

/// <summary>The security layer's log messages (source-generated).</summary>
internal static partial class SecurityLog
{
    [LoggerMessage(EventId = 1300, Level = LogLevel.Warning, Message = "Re-reading the API keys failed; serving with the keys already known")]
    public static partial void KeyRefreshFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Information, Message = "Refused an SDK call to namespace {Namespace}: {Reason}")]
    public static partial void ClientRefused(ILogger logger, string @namespace, string reason);
}
