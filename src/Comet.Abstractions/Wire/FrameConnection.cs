using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Comet.Abstractions.Errors;

namespace Comet.Abstractions.Wire;

/// <summary>
/// One long-lived, thread-safe connection that multiplexes many concurrent requests by request id (see
/// <see cref="FrameCodec"/> for the frame layout and <see cref="Hello"/> for the handshake). Both ends are equal
/// after the handshake: either side may send requests and serve the other's (silo-to-silo connections are symmetric).
/// <para>
/// Why this shape (DESIGN.md, Transport): on this hardware a few connections with many requests in flight carry
/// ~30× the load of one request at a time. So callers serialise their frame into a shared outbox under a short lock
/// and return; one writer loop sends everything queued since its last send with one gathered send (never a flush per
/// frame under load), and one reader loop decodes frames and completes pending requests by id.
/// </para>
/// </summary>
public sealed partial class FrameConnection : IAsyncDisposable
{
    private const int StateOpen = 0;
    private const int StateDraining = 1;
    private const int StateClosed = 2;
    private const int MaxErrorMessageChars = 1024;

    private readonly FrameTransport _transport;
    private readonly FrameConnectionOptions _options;
    private readonly IFrameRequestHandler? _handler;
    private readonly PendingRequestTable _pending = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _eventLock = new();
    private readonly int _maxPayload;
    private readonly string _peerName;

    private EventHandler<FrameConnectionClosedEventArgs>? _closed;
    private int _state;
    private CometException? _closeReason;
    private int _incomingInFlight;
    private TaskCompletionSource? _drained;
    private Timer? _timer;
    private Hello? _remoteHello;

    private FrameConnection(FrameTransport transport, Hello localHello, FrameConnectionOptions options, IFrameRequestHandler? handler)
    {
        _transport = transport;
        _options = options;
        _handler = handler;
        LocalHello = localHello;
        _maxPayload = options.MaxFrameSize - FrameCodec.HeaderSize;
        _peerName = transport.RemoteEndPoint?.ToString() ?? "in-process peer";
        _writerTask = WriteLoopAsync();
    }

    /// <summary>Our Hello, as sent to the peer.</summary>
    public Hello LocalHello { get; }

    /// <summary>The peer's Hello (role, node id, auth) as received in the handshake.</summary>
    public Hello RemoteHello => _remoteHello ?? throw new InvalidOperationException("The handshake has not completed.");

    /// <summary>The peer's address; null over an in-process pipe.</summary>
    public EndPoint? RemoteEndPoint => _transport.RemoteEndPoint;

    /// <summary>Our address; null over an in-process pipe.</summary>
    public EndPoint? LocalEndPoint => _transport.LocalEndPoint;

    /// <summary>True once the connection has closed (pending requests have failed, nothing more is sent or received).</summary>
    public bool IsClosed => Volatile.Read(ref _state) == StateClosed;

    /// <summary>Why the connection closed; null while it is open.</summary>
    public CometException? CloseReason => Volatile.Read(ref _closeReason);

    /// <summary>Completes when the connection has closed, for any reason; never faults.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Outgoing requests waiting for a response.</summary>
    public int PendingRequestCount => _pending.Count;

    /// <summary>Incoming requests handed to the handler and not yet finished.</summary>
    public int IncomingRequestCount => Volatile.Read(ref _incomingInFlight);

    /// <summary>
    /// Raised once when the connection closes, with the reason. Subscribing after it closed raises it at once,
    /// so a subscriber never misses it.
    /// </summary>
    public event EventHandler<FrameConnectionClosedEventArgs>? Closed
    {
        add
        {
            CometException? reason;
            lock (_eventLock)
            {
                reason = _closeReason;
                if (reason is null)
                {
                    _closed += value;
                    return;
                }
            }

            value?.Invoke(this, new FrameConnectionClosedEventArgs(reason));
        }

        remove
        {
            lock (_eventLock)
            {
                _closed -= value;
            }
        }
    }

    /// <summary>Non-fatal anomalies (dropped responses, failed handlers), for logging.</summary>
    public event EventHandler<FrameDiagnosticEventArgs>? Diagnostic;

    public override string ToString() => _remoteHello is null ? _peerName : $"{_remoteHello.NodeId} at {_peerName}";

    /// <summary>
    /// Dials-side setup over a connected socket: sends our Hello, waits for the peer's, and starts the connection.
    /// Takes ownership of the socket (disposed on failure). Throws <see cref="CometException"/>: the peer's refusal
    /// (Unauthorized, BadRequest for a version mismatch), Timeout, Unavailable, or MalformedFrame.
    /// </summary>
    public static Task<FrameConnection> ConnectAsync(
        Socket socket,
        Hello localHello,
        FrameConnectionOptions? options = null,
        IFrameRequestHandler? handler = null,
        Func<Hello, ValueTask<bool>>? validatePeer = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(socket);
        options ??= new FrameConnectionOptions();
        options.Validate();
        return StartAsync(new SocketFrameTransport(socket, options.ReceiveBufferSize), dialling: true, localHello, options, handler, validatePeer, cancellationToken);
    }

    /// <summary>
    /// Dialling-side setup over a stream layered on a connected socket (TLS: an authenticated
    /// <see cref="System.Net.Security.SslStream"/>). Takes ownership of both (disposed on failure and at close).
    /// </summary>
    public static Task<FrameConnection> ConnectAsync(
        Stream stream,
        Socket socket,
        Hello localHello,
        FrameConnectionOptions? options = null,
        IFrameRequestHandler? handler = null,
        Func<Hello, ValueTask<bool>>? validatePeer = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(socket);
        options ??= new FrameConnectionOptions();
        options.Validate();
        return StartAsync(new SocketFrameTransport(socket, options.ReceiveBufferSize, stream), dialling: true, localHello, options, handler, validatePeer, cancellationToken);
    }

    /// <summary>Accepting-side setup over a stream layered on an accepted socket (TLS). Takes ownership of both.</summary>
    public static Task<FrameConnection> AcceptAsync(
        Stream stream,
        Socket socket,
        Hello localHello,
        FrameConnectionOptions? options = null,
        IFrameRequestHandler? handler = null,
        Func<Hello, ValueTask<bool>>? validatePeer = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(socket);
        options ??= new FrameConnectionOptions();
        options.Validate();
        return StartAsync(new SocketFrameTransport(socket, options.ReceiveBufferSize, stream), dialling: false, localHello, options, handler, validatePeer, cancellationToken);
    }

    /// <summary>Dialling-side setup over any duplex pipe (in-process tests, hosting layers).</summary>
    public static Task<FrameConnection> ConnectAsync(
        IDuplexPipe pipe,
        Hello localHello,
        FrameConnectionOptions? options = null,
        IFrameRequestHandler? handler = null,
        Func<Hello, ValueTask<bool>>? validatePeer = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pipe);
        options ??= new FrameConnectionOptions();
        options.Validate();
        return StartAsync(new PipeFrameTransport(pipe, null, null), dialling: true, localHello, options, handler, validatePeer, cancellationToken);
    }

    /// <summary>
    /// Accepting-side setup over an accepted socket: waits for the peer's Hello, checks its version, runs
    /// <paramref name="validatePeer"/> (false → the peer gets Unauthorized and the connection closes; a thrown
    /// <see cref="CometException"/> sends its code and message), then answers with our Hello.
    /// Takes ownership of the socket (disposed on failure).
    /// </summary>
    public static Task<FrameConnection> AcceptAsync(
        Socket socket,
        Hello localHello,
        FrameConnectionOptions? options = null,
        IFrameRequestHandler? handler = null,
        Func<Hello, ValueTask<bool>>? validatePeer = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(socket);
        options ??= new FrameConnectionOptions();
        options.Validate();
        return StartAsync(new SocketFrameTransport(socket, options.ReceiveBufferSize), dialling: false, localHello, options, handler, validatePeer, cancellationToken);
    }

    /// <summary>Accepting-side setup over any duplex pipe.</summary>
    public static Task<FrameConnection> AcceptAsync(
        IDuplexPipe pipe,
        Hello localHello,
        FrameConnectionOptions? options = null,
        IFrameRequestHandler? handler = null,
        Func<Hello, ValueTask<bool>>? validatePeer = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pipe);
        options ??= new FrameConnectionOptions();
        options.Validate();
        return StartAsync(new PipeFrameTransport(pipe, null, null), dialling: false, localHello, options, handler, validatePeer, cancellationToken);
    }

    private static async Task<FrameConnection> StartAsync(
        FrameTransport transport,
        bool dialling,
        Hello localHello,
        FrameConnectionOptions options,
        IFrameRequestHandler? handler,
        Func<Hello, ValueTask<bool>>? validatePeer,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(localHello);
        var connection = new FrameConnection(transport, localHello, options, handler);
        try
        {
            if (dialling)
            {
                await connection.HandshakeAsDiallerAsync(validatePeer, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await connection.HandshakeAsAcceptorAsync(validatePeer, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            CometException reason = ex as CometException
                ?? (ex is OperationCanceledException && cancellationToken.IsCancellationRequested
                    ? new CometException(CometErrorCode.Unavailable, $"connecting to {connection._peerName} was cancelled")
                    : new CometException(CometErrorCode.Unavailable, $"handshake with {connection._peerName} failed: {ex.Message}", ex));
            connection.Abort(reason);
            transport.CompleteInput();
            if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            if (ReferenceEquals(reason, ex))
            {
                throw;
            }

            throw reason;
        }

        connection.StartTimer();
        _ = connection.ReadLoopAsync(); // never throws; ends when the connection closes
        if (options.Faults is not null && !options.Faults.Admit(connection))
        {
            await connection.Completion.ConfigureAwait(false);
            throw new CometException(CometErrorCode.Unavailable, $"connection to {connection._peerName} closed: {connection.CloseReason!.Message}");
        }

        return connection;
    }

    /// <summary>
    /// Sends a request and waits for its response. The caller owns the returned payload (dispose it). Throws
    /// <see cref="CometException"/>: the peer's error response (its code and message), TooLarge (nothing was sent),
    /// Timeout (<see cref="FrameConnectionOptions.RequestTimeout"/>), Unavailable (the connection closed);
    /// <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires (a late response is dropped).
    /// </summary>
    public ValueTask<FramePayload> RequestAsync(ushort opcode, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        if (payload.Length > _maxPayload)
        {
            return ValueTask.FromException<FramePayload>(TooLarge("request", payload.Length));
        }

        return RequestCore(FrameKind.Request, opcode, payload, static (writer, memory) => writer.Write(memory.Span), cancellationToken);
    }

    /// <summary>
    /// Sends a request whose payload <paramref name="writePayload"/> serialises straight into the send buffer
    /// (no intermediate array), and waits for its response. The callback runs synchronously under the connection's
    /// write lock: keep it short, and never use the connection from inside it.
    /// </summary>
    public ValueTask<FramePayload> RequestAsync<TState>(
        ushort opcode,
        TState state,
        Action<IBufferWriter<byte>, TState> writePayload,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(writePayload);
        return RequestCore(FrameKind.Request, opcode, state, writePayload, cancellationToken);
    }

    /// <summary>Queues a one-way frame (no answer). Throws <see cref="CometException"/> TooLarge or Unavailable.</summary>
    public ValueTask SendOneWayAsync(ushort opcode, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        if (payload.Length > _maxPayload)
        {
            return ValueTask.FromException(TooLarge("one-way frame", payload.Length));
        }

        return SendOneWayAsync(opcode, payload, static (writer, memory) => writer.Write(memory.Span), cancellationToken);
    }

    /// <summary>Queues a one-way frame whose payload is serialised straight into the send buffer.</summary>
    public ValueTask SendOneWayAsync<TState>(
        ushort opcode,
        TState state,
        Action<IBufferWriter<byte>, TState> writePayload,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(writePayload);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        if (Volatile.Read(ref _state) != StateOpen)
        {
            return ValueTask.FromException(ClosedError());
        }

        CometException? error = TryQueueFrame(FrameKind.OneWay, opcode, 0, state, writePayload);
        return error is null ? ValueTask.CompletedTask : ValueTask.FromException(error);
    }

    /// <summary>Round-trips a Ping frame: proves the peer's reader loop is alive.</summary>
    public async ValueTask PingAsync(CancellationToken cancellationToken = default)
    {
        FramePayload pong = await RequestCore(FrameKind.Ping, 0, 0, static (_, _) => { }, cancellationToken).ConfigureAwait(false);
        pong.Dispose();
    }

    private ValueTask<FramePayload> RequestCore<TState>(
        FrameKind kind,
        ushort opcode,
        TState state,
        Action<IBufferWriter<byte>, TState> writePayload,
        CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<FramePayload>(cancellationToken);
        }

        if (Volatile.Read(ref _state) != StateOpen)
        {
            return ValueTask.FromException<FramePayload>(ClosedError());
        }

        PendingRequest request = _pending.Rent();
        request.Opcode = opcode;
        request.Deadline = PendingRequestTable.DeadlineAfter(_options.RequestTimeout);
        request.Register(cancellationToken);
        if (!_pending.TryAdd(request))
        {
            request.Abandon();
            return ValueTask.FromException<FramePayload>(ClosedError());
        }

        ValueTask<FramePayload> result = request.AsValueTask();
        Exception? error;
        try
        {
            error = TryQueueFrame(kind, opcode, request.Id, state, writePayload);
        }
        catch (Exception ex)
        {
            error = ex; // the payload writer threw; its frame was rolled back
        }

        if (error is not null)
        {
            if (_pending.TryRemove(request.Id, request))
            {
                request.Fail(error);
            }
        }
        else if (cancellationToken.IsCancellationRequested && _pending.TryRemove(request.Id, request))
        {
            request.Fail(new OperationCanceledException(cancellationToken));
        }

        return result;
    }

    /// <summary>Closes gracefully with <see cref="FrameConnectionOptions.DrainTimeout"/>; see <see cref="CloseAsync"/>.</summary>
    public async ValueTask DisposeAsync() => await CloseAsync(_options.DrainTimeout).ConfigureAwait(false);

    /// <summary>
    /// Closes gracefully: new outgoing requests fail with Unavailable and new incoming ones are answered Unavailable;
    /// waits up to <paramref name="drainTimeout"/> for the incoming requests in flight to be answered and for queued
    /// frames to be sent; then closes the socket. Outgoing requests still waiting fail with Unavailable.
    /// </summary>
    public async Task CloseAsync(TimeSpan drainTimeout)
    {
        if (Interlocked.CompareExchange(ref _state, StateDraining, StateOpen) != StateOpen)
        {
            await _completion.Task.ConfigureAwait(false);
            return;
        }

        var deadline = Stopwatch.StartNew();
        TaskCompletionSource drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _drained, drained);
        if (Volatile.Read(ref _incomingInFlight) == 0)
        {
            drained.TrySetResult();
        }

        await WaitQuietlyAsync(drained.Task, drainTimeout).ConfigureAwait(false);
        CloseWrites();
        await WaitQuietlyAsync(_writerTask, Remaining(drainTimeout, deadline)).ConfigureAwait(false);
        Abort(new CometException(CometErrorCode.Unavailable, $"{LocalHello.NodeId} closed the connection"));
    }

    /// <summary>Closes at once without draining (fault injection, protocol violations); pending requests fail with Unavailable.</summary>
    public void Abort(string reason) => Abort(new CometException(CometErrorCode.Unavailable, reason));

    /// <summary>Closes at once with <paramref name="reason"/>; the first call wins, later ones do nothing.</summary>
    internal void Abort(CometException reason)
    {
        lock (_eventLock)
        {
            if (_closeReason is not null)
            {
                return;
            }

            _closeReason = reason;
        }

        Volatile.Write(ref _state, StateClosed);
        CloseWrites();
        _transport.Abort();
        _timer?.Dispose();
        string message = $"connection to {_peerName} closed: {reason.Message}";
        foreach (PendingRequest request in _pending.Close())
        {
            request.Fail(new CometException(CometErrorCode.Unavailable, message, reason));
        }

        Volatile.Read(ref _drained)?.TrySetResult();
        _options.Faults?.Forget(this);

        EventHandler<FrameConnectionClosedEventArgs>? handlers;
        lock (_eventLock)
        {
            handlers = _closed;
            _closed = null;
        }

        try
        {
            handlers?.Invoke(this, new FrameConnectionClosedEventArgs(reason));
        }
        catch (Exception ex)
        {
            OnDiagnostic("a Closed event handler threw", ex);
        }
        finally
        {
            _completion.TrySetResult();
        }
    }

    /// <summary>The peer broke the protocol or we refuse it: tell it why (best effort), let the writer drain briefly, close.</summary>
    private async Task FailAsync(CometException reason)
    {
        if (Interlocked.CompareExchange(ref _state, StateDraining, StateOpen) == StateClosed)
        {
            return;
        }

        string message = reason.Message.Length > MaxErrorMessageChars ? reason.Message[..MaxErrorMessageChars] : reason.Message;
        TryQueueFrame(FrameKind.ErrorResponse, 0, 0, (reason.Code, message), static (writer, error) => FrameCodec.WriteErrorPayload(writer, error.Code, error.message));
        CloseWrites();
        await WaitQuietlyAsync(_writerTask, TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        Abort(reason);
    }

    private void StartTimer()
    {
        TimeSpan shortest = Min(_options.RequestTimeout, _options.PartialFrameTimeout);
        if (shortest == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        // A tenth of the shortest timeout, within [5 ms, 1 s]: expiry is late by at most that much.
        var period = TimeSpan.FromTicks(Math.Clamp(shortest.Ticks / 10, TimeSpan.TicksPerMillisecond * 5, TimeSpan.TicksPerSecond));
        var timer = new Timer(static state => ((FrameConnection)state!).OnTick(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _timer = timer;
        timer.Change(period, period);
        if (IsClosed)
        {
            timer.Dispose();
        }
    }

    private void OnTick()
    {
        long now = Stopwatch.GetTimestamp();
        List<PendingRequest>? expired = _pending.TakeExpired(now);
        if (expired is not null)
        {
            foreach (PendingRequest request in expired)
            {
                request.Fail(new CometException(
                    CometErrorCode.Timeout,
                    $"no response from {this} to opcode {request.Opcode} within {_options.RequestTimeout.TotalMilliseconds:0} ms"));
            }
        }

        long partialSince = Volatile.Read(ref _partialFrameSince);
        if (partialSince != 0
            && _options.PartialFrameTimeout != Timeout.InfiniteTimeSpan
            && Stopwatch.GetElapsedTime(partialSince, now) > _options.PartialFrameTimeout)
        {
            Abort(new CometException(
                CometErrorCode.Timeout,
                $"{this} sent part of a frame and did not complete it within {_options.PartialFrameTimeout.TotalMilliseconds:0} ms"));
        }
    }

    internal void RunHandler(IncomingRequest request)
    {
        ValueTask pending;
        try
        {
            pending = _handler!.HandleAsync(request);
        }
        catch (Exception ex)
        {
            HandlerFailed(request, ex);
            request.HandlerFinished();
            return;
        }

        if (pending.IsCompletedSuccessfully)
        {
            pending.GetAwaiter().GetResult();
            request.HandlerFinished();
            return;
        }

        _ = AwaitHandlerAsync(request, pending);
    }

    private async Task AwaitHandlerAsync(IncomingRequest request, ValueTask pending)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            HandlerFailed(request, ex);
        }
        finally
        {
            request.HandlerFinished();
        }
    }

    private void HandlerFailed(IncomingRequest request, Exception ex)
    {
        if (ex is CometException comet)
        {
            request.TryAnswerWithError(comet.Code, comet.Message);
            return;
        }

        // Unexpected failures stay in the local log; the requester learns only that it was internal.
        request.TryAnswerWithError(CometErrorCode.Internal, $"{LocalHello.NodeId} failed to handle opcode {request.Opcode}; see its log");
        OnDiagnostic($"the handler for opcode {request.Opcode} from {this} failed", ex);
    }

    internal void IncomingFinished()
    {
        if (Interlocked.Decrement(ref _incomingInFlight) == 0 && Volatile.Read(ref _state) != StateOpen)
        {
            Volatile.Read(ref _drained)?.TrySetResult();
        }
    }

    private void OnDiagnostic(string message, Exception? exception = null)
    {
        try
        {
            Diagnostic?.Invoke(this, new FrameDiagnosticEventArgs(message, exception));
        }
        catch (Exception)
        {
            // A failing log sink must not take the connection down.
        }
    }

    private CometException ClosedError()
        => new(CometErrorCode.Unavailable, $"connection to {_peerName} closed: {CloseReason?.Message ?? "closing"}");

    private CometException TooLarge(string what, long length)
        => new(CometErrorCode.TooLarge, $"the {what} payload of {length} bytes exceeds the maximum of {_maxPayload} bytes (FrameConnectionOptions.MaxFrameSize {_options.MaxFrameSize} minus the {FrameCodec.HeaderSize}-byte header)");

    private static TimeSpan Min(TimeSpan a, TimeSpan b)
        => a == Timeout.InfiniteTimeSpan ? b : b == Timeout.InfiniteTimeSpan ? a : (a < b ? a : b);

    private static TimeSpan Remaining(TimeSpan total, Stopwatch elapsed)
        => total == Timeout.InfiniteTimeSpan ? total : (total > elapsed.Elapsed ? total - elapsed.Elapsed : TimeSpan.Zero);

    private static async Task WaitQuietlyAsync(Task task, TimeSpan timeout)
    {
        try
        {
            await task.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
    }
}
