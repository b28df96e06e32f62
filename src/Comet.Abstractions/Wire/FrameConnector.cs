using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Comet.Abstractions.Errors;

namespace Comet.Abstractions.Wire;

/// <summary>
/// Dials and keeps the long-lived connections to other endpoints: one (or two) per endpoint, shared by every caller,
/// replaced on demand after a failure. Used by the client SDK for gateways and by silos for silo-to-silo traffic.
/// Thread-safe; concurrent callers for an endpoint that is being dialled share the one dial.
/// </summary>
public sealed class FrameConnector : IAsyncDisposable
{
    private readonly FrameConnectorOptions _options;
    private readonly Func<Hello> _localHello;
    private readonly string _nodeId;
    private readonly IFrameRequestHandler? _handler;
    private readonly Func<Hello, ValueTask<bool>>? _validatePeer;
    private readonly ConcurrentDictionary<EndPoint, Slot[]> _pools = new();
    private readonly CancellationTokenSource _disposed = new();
    private int _roundRobin;

    /// <param name="options">Pool size, connect timeout, connection options.</param>
    /// <param name="localHello">Sent to every peer (our role, node id, credentials).</param>
    /// <param name="handler">Serves requests the peers send back on these connections; null refuses them.</param>
    /// <param name="validatePeer">Checks each peer's Hello (e.g. a silo's cluster-secret proof); null accepts any.</param>
    public FrameConnector(
        FrameConnectorOptions options,
        Hello localHello,
        IFrameRequestHandler? handler = null,
        Func<Hello, ValueTask<bool>>? validatePeer = null)
        : this(options, (localHello ?? throw new ArgumentNullException(nameof(localHello))).NodeId, () => localHello, handler, validatePeer)
    {
    }

    /// <param name="options">Pool size, connect timeout, connection options.</param>
    /// <param name="nodeId">Our node id (the one every Hello from <paramref name="localHello"/> names).</param>
    /// <param name="localHello">Builds the Hello sent on each new connection (a fresh cluster-secret proof each time).</param>
    /// <param name="handler">Serves requests the peers send back on these connections; null refuses them.</param>
    /// <param name="validatePeer">Checks each peer's Hello; null accepts any.</param>
    public FrameConnector(
        FrameConnectorOptions options,
        string nodeId,
        Func<Hello> localHello,
        IFrameRequestHandler? handler = null,
        Func<Hello, ValueTask<bool>>? validatePeer = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(localHello);
        ArgumentException.ThrowIfNullOrEmpty(nodeId);
        options.Validate();
        _options = options;
        _localHello = localHello;
        _nodeId = nodeId;
        _handler = handler;
        _validatePeer = validatePeer;
    }

    /// <summary>
    /// A live connection to <paramref name="endPoint"/>, dialling one if there is none (or the last one failed).
    /// Throws <see cref="CometException"/> Unavailable when the endpoint cannot be reached within
    /// <see cref="FrameConnectorOptions.ConnectTimeout"/>, or the peer's refusal (Unauthorized, BadRequest).
    /// </summary>
    public ValueTask<FrameConnection> GetConnectionAsync(EndPoint endPoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        Slot[] slots = _pools.GetOrAdd(endPoint, static (_, count) => CreateSlots(count), _options.ConnectionsPerEndpoint);
        Slot slot = slots.Length == 1 ? slots[0] : slots[(int)((uint)Interlocked.Increment(ref _roundRobin) % (uint)slots.Length)];

        Task<FrameConnection>? current = Volatile.Read(ref slot.Connecting);
        if (current is { IsCompletedSuccessfully: true } && !current.Result.IsClosed)
        {
            return new ValueTask<FrameConnection>(current.Result);
        }

        return new ValueTask<FrameConnection>(GetSlowAsync(endPoint, slot, cancellationToken));
    }

    /// <summary>Closes every pooled connection gracefully.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }

        await _disposed.CancelAsync().ConfigureAwait(false);
        var closing = new List<Task>();
        foreach (Slot[] slots in _pools.Values)
        {
            foreach (Slot slot in slots)
            {
                Task<FrameConnection>? task = Volatile.Read(ref slot.Connecting);
                if (task is { IsCompletedSuccessfully: true })
                {
                    closing.Add(task.Result.DisposeAsync().AsTask());
                }
            }
        }

        await Task.WhenAll(closing).ConfigureAwait(false);
        _disposed.Dispose();
    }

    private async Task<FrameConnection> GetSlowAsync(EndPoint endPoint, Slot slot, CancellationToken cancellationToken)
    {
        Task<FrameConnection> dial;
        lock (slot)
        {
            Task<FrameConnection>? current = slot.Connecting;
            if (current is null || current.IsFaulted || current.IsCanceled || (current.IsCompletedSuccessfully && current.Result.IsClosed))
            {
                current = DialAsync(endPoint, slot);
                slot.Connecting = current;
            }

            dial = current;
        }

        // The dial is shared: one caller giving up does not cancel it for the others.
        return await dial.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<FrameConnection> DialAsync(EndPoint endPoint, Slot slot)
    {
        await Task.Yield(); // start the dial outside the slot lock
        TransportFaults? faults = _options.Connection.Faults;
        if (faults is not null && (faults.IsBlocked(endPoint) || faults.IsNodeBlocked(_nodeId)))
        {
            throw new CometException(CometErrorCode.Unavailable, $"cannot connect to {endPoint}: blocked by fault injection");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_disposed.Token);
        if (_options.ConnectTimeout != Timeout.InfiniteTimeSpan)
        {
            timeout.CancelAfter(_options.ConnectTimeout);
        }

        Socket socket = endPoint is DnsEndPoint
            ? new Socket(SocketType.Stream, ProtocolType.Tcp)
            : new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        FrameConnection connection;
        try
        {
            await socket.ConnectAsync(endPoint, timeout.Token).ConfigureAwait(false);
            if (_options.Tls is { } tls)
            {
                var ssl = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
                try
                {
                    await ssl.AuthenticateAsClientAsync(ForHost(tls, endPoint), timeout.Token).ConfigureAwait(false);
                }
                catch (AuthenticationException ex)
                {
                    await ssl.DisposeAsync().ConfigureAwait(false);
                    throw new CometException(CometErrorCode.Unauthorized, $"TLS with {endPoint} failed: {ex.Message}", ex);
                }
                catch
                {
                    await ssl.DisposeAsync().ConfigureAwait(false);
                    throw;
                }

                connection = await FrameConnection.ConnectAsync(ssl, socket, _localHello(), _options.Connection, _handler, _validatePeer, timeout.Token).ConfigureAwait(false);
            }
            else
            {
                connection = await FrameConnection.ConnectAsync(socket, _localHello(), _options.Connection, _handler, _validatePeer, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_disposed.IsCancellationRequested)
        {
            socket.Dispose();
            throw new CometException(CometErrorCode.Unavailable, $"cannot connect to {endPoint}: the connector is disposed");
        }
        catch (OperationCanceledException)
        {
            socket.Dispose();
            throw new CometException(CometErrorCode.Unavailable, $"cannot connect to {endPoint}: no connection within {_options.ConnectTimeout.TotalMilliseconds:0} ms");
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new CometException(CometErrorCode.Unavailable, $"cannot connect to {endPoint}: {ex.Message}", ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        if (_disposed.IsCancellationRequested)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new CometException(CometErrorCode.Unavailable, $"cannot connect to {endPoint}: the connector is disposed");
        }

        // Forget the connection as soon as it closes so the next caller dials a new one.
        connection.Closed += (_, _) =>
        {
            lock (slot)
            {
                if (slot.Connecting is { IsCompletedSuccessfully: true } done && ReferenceEquals(done.Result, connection))
                {
                    slot.Connecting = null;
                }
            }
        };
        return connection;
    }

    private static SslClientAuthenticationOptions ForHost(SslClientAuthenticationOptions tls, EndPoint endPoint) => new()
    {
        TargetHost = tls.TargetHost ?? endPoint switch
        {
            DnsEndPoint dns => dns.Host,
            IPEndPoint ip => ip.Address.ToString(),
            _ => endPoint.ToString(),
        },
        RemoteCertificateValidationCallback = tls.RemoteCertificateValidationCallback,
        ClientCertificates = tls.ClientCertificates,
        EnabledSslProtocols = tls.EnabledSslProtocols,
        CertificateRevocationCheckMode = tls.CertificateRevocationCheckMode,
        ApplicationProtocols = tls.ApplicationProtocols,
    };

    private static Slot[] CreateSlots(int count)
    {
        var slots = new Slot[count];
        for (int i = 0; i < count; i++)
        {
            slots[i] = new Slot();
        }

        return slots;
    }

    private sealed class Slot
    {
        public Task<FrameConnection>? Connecting;
    }
}
