namespace Comet.Abstractions.Wire;

/// <summary>
/// Serves the requests and one-way frames that arrive on a connection. Called concurrently for many requests of the
/// same connection; answer each request exactly once with <see cref="IncomingRequest.RespondAsync(ReadOnlyMemory{byte})"/>
/// or <see cref="IncomingRequest.RespondErrorAsync"/>, before or after the returned task completes, in any order.
/// An exception that escapes the handler before it answered becomes an error response (a <see cref="Errors.CometException"/>
/// keeps its code and message; anything else is sent as Internal without details).
/// </summary>
public interface IFrameRequestHandler
{
    ValueTask HandleAsync(IncomingRequest request);
}

/// <summary>Adapts a delegate to <see cref="IFrameRequestHandler"/>.</summary>
public sealed class DelegateFrameRequestHandler(Func<IncomingRequest, ValueTask> handle) : IFrameRequestHandler
{
    private readonly Func<IncomingRequest, ValueTask> _handle = handle ?? throw new ArgumentNullException(nameof(handle));

    public ValueTask HandleAsync(IncomingRequest request) => _handle(request);
}
