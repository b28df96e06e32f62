using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace Comet.Abstractions.Wire;

/// <summary>The byte stream under a <see cref="FrameConnection"/>: a reader for incoming bytes and a batch sender.</summary>
internal abstract class FrameTransport
{
    public abstract PipeReader Input { get; }

    public abstract EndPoint? LocalEndPoint { get; }

    public abstract EndPoint? RemoteEndPoint { get; }

    /// <summary>Sends every byte of a batch; called by the single writer loop only.</summary>
    public abstract ValueTask SendAsync(FrameOutbox batch);

    /// <summary>Tells the peer no more bytes are coming; called by the writer loop as it exits.</summary>
    public abstract void ShutdownSend();

    /// <summary>Releases the reader; called by the reader loop (or the handshake) as it exits.</summary>
    public abstract void CompleteInput();

    /// <summary>Closes at once from any thread: a pending read and a pending send end.</summary>
    public abstract void Abort();
}

/// <summary>
/// A connected TCP socket, optionally under a stream layered on it (an <see cref="System.Net.Security.SslStream"/>
/// for TLS): reads through a pipe reader; a plain socket sends each batch with one gathered send, a layered stream
/// with one write per batch (one TLS record when it fits). Abort closes both.
/// </summary>
internal sealed class SocketFrameTransport : FrameTransport
{
    private readonly Socket _socket;
    private readonly Stream? _layered;
    private readonly PipeReader _input;
    private int _aborted;

    public SocketFrameTransport(Socket socket, int receiveBufferSize, Stream? layered = null)
    {
        _socket = socket;
        _layered = layered;
        _socket.NoDelay = true;
        LocalEndPoint = socket.LocalEndPoint;
        RemoteEndPoint = socket.RemoteEndPoint;
        _input = PipeReader.Create(
            layered ?? new NetworkStream(socket, ownsSocket: false),
            new StreamPipeReaderOptions(bufferSize: receiveBufferSize, minimumReadSize: Math.Min(4096, receiveBufferSize), leaveOpen: true));
    }

    public override PipeReader Input => _input;

    public override EndPoint? LocalEndPoint { get; }

    public override EndPoint? RemoteEndPoint { get; }

    public override async ValueTask SendAsync(FrameOutbox batch)
    {
        List<ArraySegment<byte>> segments = batch.GetSegments();
        if (_layered is not null)
        {
            await WriteLayeredAsync(_layered, segments).ConfigureAwait(false);
        }
        else if (segments.Count == 1)
        {
            ArraySegment<byte> only = segments[0];
            await _socket.SendAsync(only.AsMemory(), SocketFlags.None).ConfigureAwait(false);
        }
        else if (segments.Count > 1)
        {
            await _socket.SendAsync(segments, SocketFlags.None).ConfigureAwait(false);
        }
    }

    /// <summary>One write per batch: on TLS every write is at least one record, so several segments are gathered first.</summary>
    private static async ValueTask WriteLayeredAsync(Stream stream, List<ArraySegment<byte>> segments)
    {
        if (segments.Count == 1)
        {
            await stream.WriteAsync(segments[0].AsMemory()).ConfigureAwait(false);
        }
        else if (segments.Count > 1)
        {
            int total = 0;
            foreach (ArraySegment<byte> segment in segments)
            {
                total += segment.Count;
            }

            byte[] gathered = ArrayPool<byte>.Shared.Rent(total);
            try
            {
                int offset = 0;
                foreach (ArraySegment<byte> segment in segments)
                {
                    segment.AsSpan().CopyTo(gathered.AsSpan(offset));
                    offset += segment.Count;
                }

                await stream.WriteAsync(gathered.AsMemory(0, total)).ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(gathered);
            }
        }

        await stream.FlushAsync().ConfigureAwait(false);
    }

    public override void ShutdownSend()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // Already reset by the peer: nothing left to tell it.
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public override void CompleteInput() => _input.Complete();

    public override void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) == 0)
        {
            _layered?.Dispose();
            _socket.Dispose();
        }
    }
}

/// <summary>Any duplex pipe (in-memory pairs in tests, or a hosting layer's connection).</summary>
internal sealed class PipeFrameTransport : FrameTransport
{
    private readonly IDuplexPipe _pipe;
    private int _outputDone;

    public PipeFrameTransport(IDuplexPipe pipe, EndPoint? localEndPoint, EndPoint? remoteEndPoint)
    {
        _pipe = pipe;
        LocalEndPoint = localEndPoint;
        RemoteEndPoint = remoteEndPoint;
    }

    public override PipeReader Input => _pipe.Input;

    public override EndPoint? LocalEndPoint { get; }

    public override EndPoint? RemoteEndPoint { get; }

    public override async ValueTask SendAsync(FrameOutbox batch)
    {
        PipeWriter output = _pipe.Output;
        foreach (ArraySegment<byte> segment in batch.GetSegments())
        {
            output.Write(segment.AsSpan());
        }

        FlushResult result = await output.FlushAsync().ConfigureAwait(false);
        if (result.IsCompleted || result.IsCanceled)
        {
            throw new IOException("The peer stopped reading.");
        }
    }

    public override void ShutdownSend()
    {
        if (Interlocked.Exchange(ref _outputDone, 1) == 0)
        {
            _pipe.Output.Complete();
        }
    }

    public override void CompleteInput() => _pipe.Input.Complete();

    public override void Abort()
    {
        _pipe.Output.CancelPendingFlush();
        _pipe.Input.CancelPendingRead();
    }
}
