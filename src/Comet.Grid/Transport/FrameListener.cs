using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Wire;
using Microsoft.Extensions.Logging;

namespace Comet.Grid.Transport;

/// <summary>
/// Accepts frame connections on a silo's port (silo-to-silo and client gateway), runs the handshake, and hands every
/// request to an <see cref="IFrameRequestHandler"/>. Bad input closes only the connection that carried it (logged
/// with the reason); the listener keeps serving everyone else. Stops cleanly: stop accepting, let in-flight requests
/// finish up to <see cref="FrameListenerOptions.StopTimeout"/>, close.
/// </summary>
public sealed class FrameListener : IAsyncDisposable
{
    private readonly FrameListenerOptions _options;
    private readonly Hello _localHello;
    private readonly IFrameRequestHandler _handler;
    private readonly Func<Hello, ValueTask<bool>>? _validatePeer;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<FrameConnection, byte> _connections = new();
    private readonly ConcurrentDictionary<Task, byte> _handshakes = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Socket _listenSocket;
    private Task _acceptLoop = Task.CompletedTask;
    private IPEndPoint? _boundEndPoint;
    private Task? _stopTask;
    private int _accepting;

    /// <param name="options">Endpoint, limits, connection options.</param>
    /// <param name="localHello">Our answer in every handshake (role Silo, our node id, our proof for peers that check it).</param>
    /// <param name="handler">Serves the requests of every connection.</param>
    /// <param name="logger">Connection-level events: malformed frames, refused handshakes, failed handlers.</param>
    /// <param name="validatePeer">Checks each peer's Hello (API key, cluster secret); false answers Unauthorized and closes. Null accepts any.</param>
    public FrameListener(
        FrameListenerOptions options,
        Hello localHello,
        IFrameRequestHandler handler,
        ILogger<FrameListener> logger,
        Func<Hello, ValueTask<bool>>? validatePeer = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.EndPoint, nameof(options.EndPoint));
        ArgumentNullException.ThrowIfNull(options.Connection, nameof(options.Connection));
        ArgumentNullException.ThrowIfNull(localHello);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(logger);
        _options = options;
        _localHello = localHello;
        _handler = handler;
        _logger = logger;
        _validatePeer = validatePeer;
        _listenSocket = new Socket(options.EndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
    }

    /// <summary>The bound endpoint (with the OS-chosen port when the options asked for port 0); valid after <see cref="Start"/>.</summary>
    public IPEndPoint LocalEndPoint => _boundEndPoint ?? throw new InvalidOperationException("The listener has not started.");

    /// <summary>The bound port; valid after <see cref="Start"/>.</summary>
    public int Port => LocalEndPoint.Port;

    /// <summary>Connections past their handshake and not yet closed.</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>A snapshot of the live connections.</summary>
    public IReadOnlyList<FrameConnection> Connections => [.. _connections.Keys];

    /// <summary>Binds and starts accepting. Throws <see cref="SocketException"/> when the endpoint cannot be bound.</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _accepting, 1) != 0)
        {
            throw new InvalidOperationException("The listener has already started.");
        }

        _listenSocket.Bind(_options.EndPoint);
        _listenSocket.Listen(_options.Backlog);
        _boundEndPoint = (IPEndPoint)_listenSocket.LocalEndPoint!;
        TransportLog.Listening(_logger, LocalEndPoint, _localHello.NodeId);
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>
    /// Stops accepting, lets requests in flight finish (new ones are answered Unavailable) up to
    /// <see cref="FrameListenerOptions.StopTimeout"/> or until <paramref name="cancellationToken"/> fires, then closes
    /// every connection. Safe to call more than once.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        lock (_stopping)
        {
            return _stopTask ??= StopCoreAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task StopCoreAsync(CancellationToken cancellationToken)
    {
        EndPoint? endPoint = _boundEndPoint;
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listenSocket.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        await Task.WhenAll(_handshakes.Keys).ConfigureAwait(false);

        List<FrameConnection> live = [.. _connections.Keys];
        if (endPoint is not null)
        {
            TransportLog.Stopping(_logger, endPoint, live.Count);
        }

        var closing = new List<Task>(live.Count);
        foreach (FrameConnection connection in live)
        {
            closing.Add(connection.CloseAsync(_options.StopTimeout));
        }

        try
        {
            await Task.WhenAll(closing).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            foreach (FrameConnection connection in live)
            {
                connection.Abort($"{_localHello.NodeId} stopped");
            }
        }
    }

    private async Task AcceptLoopAsync()
    {
        await Task.Yield();
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listenSocket.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception) when (_stopping.IsCancellationRequested)
            {
                break;
            }
            catch (SocketException ex)
            {
                // Per-connection accept errors (e.g. the peer reset before accept) are not fatal to the listener.
                TransportLog.AcceptFailed(_logger, _options.EndPoint, ex);
                continue;
            }

            if (RejectAtAccept(socket))
            {
                continue;
            }

            Task handshake = ServeAsync(socket);
            _handshakes[handshake] = 0;
            _ = handshake.ContinueWith(
                static (done, state) => ((ConcurrentDictionary<Task, byte>)state!).TryRemove(done, out _),
                _handshakes,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    private bool RejectAtAccept(Socket socket)
    {
        string? reason = null;
        TransportFaults? faults = _options.Connection.Faults;
        if (faults is not null && (faults.IsBlocked(socket.LocalEndPoint) || faults.IsBlocked(socket.RemoteEndPoint) || faults.IsNodeBlocked(_localHello.NodeId)))
        {
            reason = "blocked by fault injection";
        }
        else if (_connections.Count + _handshakes.Count >= _options.MaxConnections)
        {
            reason = $"already serving {_options.MaxConnections} connections (FrameListenerOptions.MaxConnections)";
        }

        if (reason is null)
        {
            return false;
        }

        TransportLog.AcceptRejected(_logger, socket.RemoteEndPoint, reason);
        socket.Dispose();
        return true;
    }

    /// <summary>Runs the handshake of one accepted socket and registers the connection; never throws.</summary>
    private async Task ServeAsync(Socket socket)
    {
        EndPoint? peer = socket.RemoteEndPoint;
        FrameConnection connection;
        try
        {
            Hello local = _options.HelloFactory?.Invoke() ?? _localHello;
            connection = _options.Tls is { } tls
                ? await AcceptTlsAsync(socket, tls, local).ConfigureAwait(false)
                : await FrameConnection.AcceptAsync(socket, local, _options.Connection, _handler, _validatePeer, _stopping.Token).ConfigureAwait(false);
        }
        catch (MalformedFrameException ex)
        {
            TransportLog.MalformedFrame(_logger, peer?.ToString() ?? "unknown peer", ex.Message);
            return;
        }
        catch (CometException ex) when (ex.Code is CometErrorCode.Unauthorized or CometErrorCode.Forbidden or CometErrorCode.BadRequest)
        {
            TransportLog.HandshakeRefused(_logger, peer, ex.Code.ToString(), ex.Message);
            return;
        }
        catch (Exception ex)
        {
            TransportLog.HandshakeFailed(_logger, peer, ex.Message);
            return;
        }

        _connections[connection] = 0;
        TransportLog.ConnectionAccepted(_logger, peer, connection.RemoteHello.Role.ToString(), connection.RemoteHello.NodeId);
        connection.Diagnostic += OnDiagnostic;
        connection.Closed += OnClosed;
        if (_stopping.IsCancellationRequested)
        {
            // Raced with StopAsync, which no longer sees it: close it here.
            await connection.CloseAsync(TimeSpan.Zero).ConfigureAwait(false);
        }
    }

    /// <summary>The TLS handshake (bounded by the Hello's timeout: the peer is not authenticated yet), then the Hello.</summary>
    private async Task<FrameConnection> AcceptTlsAsync(Socket socket, SslServerAuthenticationOptions tls, Hello local)
    {
        var ssl = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            if (_options.Connection.HandshakeTimeout != Timeout.InfiniteTimeSpan)
            {
                timeout.CancelAfter(_options.Connection.HandshakeTimeout);
            }

            await ssl.AuthenticateAsServerAsync(tls, timeout.Token).ConfigureAwait(false);
        }
        catch
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            socket.Dispose();
            throw;
        }

        return await FrameConnection.AcceptAsync(ssl, socket, local, _options.Connection, _handler, _validatePeer, _stopping.Token).ConfigureAwait(false);
    }

    private void OnClosed(object? sender, FrameConnectionClosedEventArgs e)
    {
        var connection = (FrameConnection)sender!;
        _connections.TryRemove(connection, out _);
        if (e.IsMalformedFrame || e.Reason.Code == CometErrorCode.Timeout)
        {
            TransportLog.MalformedFrame(_logger, connection.ToString(), e.Reason.Message);
        }
        else
        {
            TransportLog.ConnectionClosed(_logger, connection.ToString(), e.Reason.Message);
        }
    }

    private void OnDiagnostic(object? sender, FrameDiagnosticEventArgs e)
    {
        string connection = sender?.ToString() ?? "?";
        if (e.Exception is not null)
        {
            TransportLog.HandlerFailed(_logger, connection, e.Message, e.Exception);
        }
        else
        {
            TransportLog.ConnectionDiagnostic(_logger, connection, e.Message);
        }
    }
}
