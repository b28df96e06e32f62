using Comet.Abstractions.Errors;
using Orleans.Runtime;
using Orleans.Runtime.Messaging;

namespace Comet.Client.Connection;

/// <summary>
/// What a failed grain call means to a user of the store. A <see cref="CometException"/> thrown by the coordinator
/// arrives with its code (the grain interfaces' serialization surrogate carries it); Orleans's own failures become
/// the codes a user can act on.
/// </summary>
internal static class CallFailures
{
    public static CometException ToComet(Exception failure, string operation, string key)
    {
        var what = key.Length == 0 ? operation : $"{operation} of '{key}'";
        switch (failure)
        {
            case CometException comet:
                return comet;
            case SiloUnavailableException or ConnectionFailedException or OrleansMessageRejectionException or GatewayTooBusyException:
                return new CometException(CometErrorCode.Unavailable,
                    $"The cluster could not take the {what}: {failure.Message} " +
                    "Check that the silos are running; the client keeps using the gateways that answer.", failure);
            case TimeoutException:
                return new CometException(CometErrorCode.Timeout,
                    $"The {what} got no answer in time (CometClientOptions.RequestTimeout): {failure.Message}", failure);
            case ObjectDisposedException:
                return new CometException(CometErrorCode.Unavailable, $"The {what} was cut off: the cluster client was closed.", failure);
            default:
                return new CometException(CometErrorCode.Internal, $"The {what} failed: {failure.Message}", failure);
        }
    }
}
