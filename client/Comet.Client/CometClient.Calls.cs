using System.Buffers;
using System.Runtime.CompilerServices;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Keys;
using Comet.Abstractions.Protocol;
using Comet.Client.Routing;

namespace Comet.Client;

public sealed partial class CometClient
{
    /// <summary>
    /// Sends one request to the key's coordinator and reads the answer; on Unavailable, retries once on the next silo
    /// of the key's preference list. The hot path allocates only the caller's message and result: the message is
    /// written straight into the connection's send buffer, the pending request and this state machine are pooled.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<TResult> CallAsync<TRequest, TResult>(
        Opcode opcode,
        ObjectKey key,
        int? n,
        TRequest request,
        Action<IBufferWriter<byte>, TRequest> write,
        ProtocolCodec.Reader<TResult> read,
        CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        var map = _watcher.Current;
        var route = map.CoordinatorOf(key.Hash);
        SiloRoute? firstRoute = null;
        CometException? firstFailure = null;
        while (true)
        {
            try
            {
                route.CountRequest();
                var connection = await _connector.GetConnectionAsync(route.EndPoint, cancellationToken).ConfigureAwait(false);
                using var payload = await connection.RequestAsync((ushort)opcode, request, write, cancellationToken).ConfigureAwait(false);
                return read(payload.Span, key.Key);
            }
            catch (CometException ex) when (ex.Code == CometErrorCode.Unavailable && !cancellationToken.IsCancellationRequested && Volatile.Read(ref _disposed) == 0)
            {
                route.MarkFailed(_cooldown);
                _watcher.RefreshSoon();
                if (firstFailure is not null)
                {
                    throw new CometException(CometErrorCode.Unavailable,
                        $"Neither {firstRoute} nor {route} could serve the {opcode} of '{key.Key}' ({firstFailure.Message}; {ex.Message}). " +
                        "Check that the silos are running; the client keeps refreshing its view of the cluster.", ex);
                }
                var next = map.FallbackFor(key.Hash, n ?? ClusterMap.DefaultReplicas, route);
                if (next is null) throw;
                Interlocked.Increment(ref _retries);
                firstRoute = route;
                firstFailure = ex;
                route = next;
            }
        }
    }
}
