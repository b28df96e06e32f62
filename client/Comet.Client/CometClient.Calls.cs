using System.Runtime.CompilerServices;
using Comet.Abstractions.Errors;
using Comet.Client.Connection;

namespace Comet.Client;

public sealed partial class CometClient
{
    /// <summary>
    /// The request-context key the API key travels under; the silo's call filter reads it. It must equal
    /// <c>Comet.Grains.CallerContext.ApiKey</c> (a test holds them together): the SDK does not reference the silo's grain
    /// project, where that constant lives.
    /// </summary>
    internal const string ApiKeyContextKey = "comet.api-key";

    /// <summary>
    /// Makes one grain call: waits for the connection if it is not up yet, puts this client's API key in Orleans's
    /// request context (an AsyncLocal, so it is set here, right before the call, and this async method's changes
    /// to it do not leak to the caller), and turns failures into typed errors. The state machine is pooled; the hot
    /// path allocates the caller's command and result and what Orleans allocates per call.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<TResult> SendAsync<TState, TAnswer, TResult>(
        string operation,
        string key,
        TState state,
        Func<CometClient, TState, Task<TAnswer>> call,
        Func<TAnswer, string, TResult> map,
        CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        Interlocked.Increment(ref _requests);
        TAnswer answer;
        try
        {
            await _connection.WaitConnectedAsync(cancellationToken).ConfigureAwait(false);
            // This client's key, never one that happens to be in the ambient context (e.g. an incoming call's inside a silo).
            if (_apiKey is null) RequestContext.Remove(ApiKeyContextKey);
            else RequestContext.Set(ApiKeyContextKey, _apiKey);
            answer = await call(this, state).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            var failure = CallFailures.ToComet(ex, operation, key);
            if (failure.Code == CometErrorCode.Unavailable) Interlocked.Increment(ref _unavailable);
            else if (failure.Code == CometErrorCode.Timeout) Interlocked.Increment(ref _timeouts);
            throw failure;
        }
        return map(answer, key);
    }
}
