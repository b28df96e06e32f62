using System.Buffers;
using Comet.Abstractions.Errors;

namespace Comet.Abstractions.Wire;

/// <summary>
/// A request or one-way frame that arrived on a connection, handed to its <see cref="IFrameRequestHandler"/>.
/// Answer a request exactly once, from any thread, at any time (out of order with other requests is fine).
/// <see cref="Payload"/> stays valid until both the handler's task has completed and the request has been answered.
/// </summary>
public sealed class IncomingRequest : IThreadPoolWorkItem
{
    private readonly FramePayload _payload;
    private int _holds;      // handler + (for requests) the answer; the payload is released at 0
    private int _answered;
    private int _started;

    internal IncomingRequest(FrameConnection connection, bool isOneWay, ushort opcode, ulong requestId, FramePayload payload)
    {
        Connection = connection;
        IsOneWay = isOneWay;
        Opcode = opcode;
        RequestId = requestId;
        _payload = payload;
        _holds = isOneWay ? 1 : 2;
        _answered = isOneWay ? 1 : 0;
    }

    /// <summary>The connection it arrived on (peer's <see cref="FrameConnection.RemoteHello"/> and endpoint).</summary>
    public FrameConnection Connection { get; }

    /// <summary>The operation, as defined by the grid or the client protocol.</summary>
    public ushort Opcode { get; }

    /// <summary>The requester's id for this request (0 for one-way frames).</summary>
    public ulong RequestId { get; }

    /// <summary>True for a one-way frame: there is nobody to answer.</summary>
    public bool IsOneWay { get; }

    /// <summary>True once an answer has been queued (always true for one-way frames).</summary>
    public bool IsAnswered => Volatile.Read(ref _answered) != 0;

    /// <summary>The request payload; valid until the handler has finished and the request is answered.</summary>
    public ReadOnlyMemory<byte> Payload => _payload.Memory;

    /// <summary>Answers with a payload.</summary>
    public ValueTask RespondAsync(ReadOnlyMemory<byte> payload)
    {
        BeginAnswer();
        try
        {
            return Connection.SendResponse(RequestId, payload);
        }
        finally
        {
            Release();
        }
    }

    /// <summary>Answers with a payload serialised straight into the connection's send buffer.</summary>
    public ValueTask RespondAsync<TState>(TState state, Action<IBufferWriter<byte>, TState> writePayload)
    {
        ArgumentNullException.ThrowIfNull(writePayload);
        BeginAnswer();
        try
        {
            return Connection.SendResponse(RequestId, state, writePayload);
        }
        finally
        {
            Release();
        }
    }

    /// <summary>Answers with an error: the requester's call throws <see cref="CometException"/> with this code and message.</summary>
    public ValueTask RespondErrorAsync(CometErrorCode code, string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        BeginAnswer();
        try
        {
            Connection.SendError(RequestId, code, message);
            return ValueTask.CompletedTask;
        }
        finally
        {
            Release();
        }
    }

    /// <summary>Answers with an error if nobody answered yet; used when a handler fails.</summary>
    internal void TryAnswerWithError(CometErrorCode code, string message)
    {
        if (Interlocked.Exchange(ref _answered, 1) == 0)
        {
            Connection.SendError(RequestId, code, message);
            Release();
        }
    }

    void IThreadPoolWorkItem.Execute()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            Connection.RunHandler(this);
        }
    }

    internal void Run()
    {
        _started = 1;
        Connection.RunHandler(this);
    }

    /// <summary>The handler's task has completed.</summary>
    internal void HandlerFinished() => Release();

    private void BeginAnswer()
    {
        if (IsOneWay)
        {
            throw new InvalidOperationException("A one-way frame has no requester to answer.");
        }

        if (Interlocked.Exchange(ref _answered, 1) != 0)
        {
            throw new InvalidOperationException($"Request {RequestId} (opcode {Opcode}) has already been answered.");
        }
    }

    private void Release()
    {
        if (Interlocked.Decrement(ref _holds) == 0)
        {
            _payload.Dispose();
            Connection.IncomingFinished();
        }
    }
}
