using System.Buffers;
using System.IO.Pipelines;
using Comet.Abstractions.Errors;

namespace Comet.Abstractions.Wire;

public sealed partial class FrameConnection
{
    private async Task HandshakeAsDiallerAsync(Func<Hello, ValueTask<bool>>? validatePeer, CancellationToken cancellationToken)
    {
        TryQueueFrame(FrameKind.Hello, 0, 0, LocalHello, static (writer, hello) => hello.WritePayload(writer));
        (FrameHeader header, FramePayload payload) = await ReadHandshakeFrameAsync(cancellationToken).ConfigureAwait(false);
        using (payload)
        {
            if (header.Kind == FrameKind.ErrorResponse)
            {
                // The acceptor refused us (credentials, version); its code and message are the answer.
                throw FrameCodec.ReadErrorPayload(payload.Span);
            }

            if (header.Kind != FrameKind.Hello)
            {
                throw new MalformedFrameException($"malformed frame from {_peerName}: expected its Hello, got a {header.Kind} frame");
            }

            if (Hello.TryReadProtocolVersion(payload.Span, out ushort version) && version != Hello.CurrentProtocolVersion)
            {
                throw new CometException(
                    CometErrorCode.BadRequest,
                    $"{_peerName} speaks protocol version {version}; this node speaks version {Hello.CurrentProtocolVersion}. Run matching client and silo versions.");
            }

            if (!Hello.TryParse(payload.Span, out Hello? hello, out string? error))
            {
                throw new MalformedFrameException($"malformed Hello from {_peerName}: {error}");
            }

            if (validatePeer is not null && !await validatePeer(hello!).ConfigureAwait(false))
            {
                throw new CometException(CometErrorCode.Unauthorized, $"the Hello of {hello} at {_peerName} was not accepted");
            }

            _remoteHello = hello;
        }
    }

    private async Task HandshakeAsAcceptorAsync(Func<Hello, ValueTask<bool>>? validatePeer, CancellationToken cancellationToken)
    {
        Hello? hello;
        (FrameHeader header, FramePayload payload) = await ReadHandshakeFrameAsync(cancellationToken).ConfigureAwait(false);
        using (payload)
        {
            if (header.Kind != FrameKind.Hello)
            {
                await RefuseAsync(new MalformedFrameException($"malformed frame from {_peerName}: the first frame must be a Hello, got a {header.Kind} frame")).ConfigureAwait(false);
            }

            if (Hello.TryReadProtocolVersion(payload.Span, out ushort version) && version != Hello.CurrentProtocolVersion)
            {
                await RefuseAsync(new CometException(
                    CometErrorCode.BadRequest,
                    $"protocol version {version} is not supported: {LocalHello.NodeId} speaks version {Hello.CurrentProtocolVersion}. Run matching client and silo versions.")).ConfigureAwait(false);
            }

            if (!Hello.TryParse(payload.Span, out hello, out string? error))
            {
                await RefuseAsync(new MalformedFrameException($"malformed Hello from {_peerName}: {error}")).ConfigureAwait(false);
            }
        }

        bool accepted;
        try
        {
            accepted = validatePeer is null || await validatePeer(hello!).ConfigureAwait(false);
        }
        catch (CometException ex)
        {
            await RefuseAsync(new CometException(ex.Code, ex.Message, ex)).ConfigureAwait(false);
            throw;
        }

        if (!accepted)
        {
            await RefuseAsync(new CometException(CometErrorCode.Unauthorized, $"{LocalHello.NodeId} did not accept the credentials of {hello!.Role} {hello.NodeId}")).ConfigureAwait(false);
        }

        _remoteHello = hello;
        TryQueueFrame(FrameKind.Hello, 0, 0, LocalHello, static (writer, local) => local.WritePayload(writer));
    }

    /// <summary>Sends the peer a connection-level error, closes, and throws the same error to our caller.</summary>
    private async Task RefuseAsync(CometException reason)
    {
        await FailAsync(reason).ConfigureAwait(false);
        throw reason;
    }

    /// <summary>Reads the first frame, bounded in size (the peer is not authenticated yet) and in time.</summary>
    private async Task<(FrameHeader Header, FramePayload Payload)> ReadHandshakeFrameAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (_options.HandshakeTimeout != Timeout.InfiniteTimeSpan)
        {
            timeout.CancelAfter(_options.HandshakeTimeout);
        }

        PipeReader input = _transport.Input;
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new CometException(
                    CometErrorCode.Timeout,
                    $"{_peerName} did not complete the handshake within {_options.HandshakeTimeout.TotalMilliseconds:0} ms");
            }

            if (result.IsCanceled)
            {
                throw new CometException(CometErrorCode.Unavailable, $"connection to {_peerName} closed during the handshake");
            }

            ReadOnlySequence<byte> buffer = result.Buffer;
            FrameReadStatus status = FrameCodec.TryReadFrame(ref buffer, Hello.MaxFrameSize, out FrameHeader header, out ReadOnlySequence<byte> payload, out string? error);
            if (status == FrameReadStatus.Complete)
            {
                FramePayload copy = FramePayload.CopyOf(payload);
                input.AdvanceTo(buffer.Start);
                return (header, copy);
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            if (status == FrameReadStatus.Malformed)
            {
                throw new MalformedFrameException($"malformed frame from {_peerName} during the handshake: {error}");
            }

            if (result.IsCompleted)
            {
                throw buffer.IsEmpty
                    ? new CometException(CometErrorCode.Unavailable, $"{_peerName} closed the connection during the handshake")
                    : new MalformedFrameException($"{_peerName} closed the connection in the middle of its Hello ({buffer.Length} bytes of a truncated frame)");
            }
        }
    }
}
