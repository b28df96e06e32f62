using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Comet.Abstractions.Wire;
using Comet.Grid.Transport;

namespace Comet.Grid.Tests.Transport;

/// <summary>A started listener on 127.0.0.1 with an OS-chosen port, its log, and a connector that dials it.</summary>
internal sealed class ListenerFixture : IAsyncDisposable
{
    public static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private ListenerFixture(FrameListener listener, ListLogger<FrameListener> log, FrameConnector connector)
    {
        Listener = listener;
        Log = log;
        Connector = connector;
    }

    public FrameListener Listener { get; }

    public ListLogger<FrameListener> Log { get; }

    public FrameConnector Connector { get; }

    public IPEndPoint EndPoint => Listener.LocalEndPoint;

    public static ListenerFixture Start(
        Func<IncomingRequest, ValueTask> handle,
        FrameListenerOptions? listenerOptions = null,
        FrameConnectorOptions? connectorOptions = null,
        Func<Hello, ValueTask<bool>>? validatePeer = null,
        Hello? clientHello = null,
        IFrameRequestHandler? clientHandler = null)
    {
        var log = new ListLogger<FrameListener>();
        var listener = new FrameListener(
            listenerOptions ?? new FrameListenerOptions(),
            new Hello(NodeRole.Silo, "silo-1"),
            new DelegateFrameRequestHandler(handle),
            log,
            validatePeer);
        listener.Start();
        var connector = new FrameConnector(connectorOptions ?? new FrameConnectorOptions(), clientHello ?? new Hello(NodeRole.Client, "app-1"), clientHandler);
        return new ListenerFixture(listener, log, connector);
    }

    public static ValueTask Echo(IncomingRequest request) => request.RespondAsync(request.Payload);

    public ValueTask<FrameConnection> ConnectAsync() => Connector.GetConnectionAsync(EndPoint);

    public async ValueTask DisposeAsync()
    {
        await Connector.DisposeAsync();
        await Listener.DisposeAsync();
    }
}

/// <summary>A plain TCP socket that speaks (or breaks) the protocol by hand.</summary>
internal sealed class RawClient : IDisposable
{
    private readonly Socket _socket;

    private RawClient(Socket socket) => _socket = socket;

    public static async Task<RawClient> ConnectAsync(IPEndPoint endPoint, bool handshake)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint);
        var client = new RawClient(socket);
        if (handshake)
        {
            var hello = new ArrayBufferWriter<byte>();
            new Hello(NodeRole.Client, "raw").WritePayload(hello);
            await client.SendFrameAsync(FrameKind.Hello, 0, 0, hello.WrittenMemory);
            (FrameHeader header, _) = await client.ReadFrameAsync();
            Assert.Equal(FrameKind.Hello, header.Kind);
        }

        return client;
    }

    public async Task SendFrameAsync(FrameKind kind, ushort opcode, ulong requestId, ReadOnlyMemory<byte> payload)
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameCodec.WriteFrame(writer, new FrameHeader(kind, opcode, requestId, payload.Length), payload.Span);
        await SendAsync(writer.WrittenMemory);
    }

    public async Task SendAsync(ReadOnlyMemory<byte> bytes) => await _socket.SendAsync(bytes, SocketFlags.None);

    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    public async Task<(FrameHeader Header, byte[] Payload)> ReadFrameAsync()
    {
        byte[] prefix = await ReadExactlyAsync(FrameCodec.PrefixedHeaderSize);
        int payloadLength = (int)BinaryPrimitives.ReadUInt32LittleEndian(prefix) - FrameCodec.HeaderSize;
        byte[] payload = await ReadExactlyAsync(payloadLength);
        var header = new FrameHeader((FrameKind)prefix[4], BinaryPrimitives.ReadUInt16LittleEndian(prefix.AsSpan(6)), BinaryPrimitives.ReadUInt64LittleEndian(prefix.AsSpan(8)), payloadLength);
        return (header, payload);
    }

    /// <summary>Reads (and returns) whatever the server still sends until it closes the connection.</summary>
    public async Task<byte[]> ReadUntilClosedAsync()
    {
        var received = new List<byte>();
        byte[] buffer = new byte[4096];
        try
        {
            while (true)
            {
                int read = await _socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).AsTask().WaitAsync(ListenerFixture.Guard);
                if (read == 0)
                {
                    return [.. received];
                }

                received.AddRange(buffer.AsSpan(0, read));
            }
        }
        catch (SocketException)
        {
            return [.. received]; // reset: closed too
        }
    }

    public void Dispose() => _socket.Dispose();

    private async Task<byte[]> ReadExactlyAsync(int count)
    {
        byte[] buffer = new byte[count];
        int filled = 0;
        while (filled < count)
        {
            int read = await _socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None).AsTask().WaitAsync(ListenerFixture.Guard);
            if (read == 0)
            {
                throw new EndOfStreamException();
            }

            filled += read;
        }

        return buffer;
    }
}
