using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using Comet.Abstractions.Errors;

namespace Comet.Abstractions.Wire;

public sealed partial class FrameConnection
{
    private long _partialFrameSince;

    /// <summary>
    /// The one reader of the socket: decodes every whole frame in each read, completes pending requests by id,
    /// hands requests to the handler without waiting for them, and closes the connection on malformed input.
    /// </summary>
    private async Task ReadLoopAsync()
    {
        PipeReader input = _transport.Input;
        CometException? reason = null;
        try
        {
            while (reason is null)
            {
                ReadResult result = await input.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    break; // aborted locally; the close reason is already set
                }

                ReadOnlySequence<byte> buffer = result.Buffer;
                reason = ProcessFrames(ref buffer, out bool progressed);
                if (reason is null)
                {
                    TrackPartialFrame(progressed, buffer.IsEmpty);
                    if (result.IsCompleted)
                    {
                        reason = buffer.IsEmpty
                            ? new CometException(CometErrorCode.Unavailable, $"{this} closed the connection")
                            : new MalformedFrameException($"{this} closed the connection in the middle of a frame ({buffer.Length} bytes of a truncated frame)");
                    }
                }

                input.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        catch (Exception ex) when (!IsClosed)
        {
            reason = new CometException(CometErrorCode.Unavailable, $"receiving from {_peerName} failed: {ex.Message}", ex);
        }
        catch (Exception)
        {
            // Reads fail once the socket is aborted; the close reason is already set.
        }
        finally
        {
            _transport.CompleteInput();
        }

        if (reason is MalformedFrameException)
        {
            await FailAsync(reason).ConfigureAwait(false);
        }
        else if (reason is not null)
        {
            Abort(reason);
        }
    }

    private void TrackPartialFrame(bool progressed, bool bufferEmpty)
    {
        if (bufferEmpty)
        {
            Volatile.Write(ref _partialFrameSince, 0);
        }
        else if (progressed || Volatile.Read(ref _partialFrameSince) == 0)
        {
            Volatile.Write(ref _partialFrameSince, Stopwatch.GetTimestamp());
        }
    }

    private CometException? ProcessFrames(ref ReadOnlySequence<byte> buffer, out bool progressed)
    {
        progressed = false;
        while (true)
        {
            FrameReadStatus status = FrameCodec.TryReadFrame(ref buffer, _options.MaxFrameSize, out FrameHeader header, out ReadOnlySequence<byte> payload, out string? error);
            switch (status)
            {
                case FrameReadStatus.Incomplete:
                    return null;
                case FrameReadStatus.Malformed:
                    return new MalformedFrameException($"malformed frame from {this}: {error}");
            }

            progressed = true;
            CometException? reason = ProcessFrame(header, payload);
            if (reason is not null)
            {
                return reason;
            }
        }
    }

    private CometException? ProcessFrame(in FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        switch (header.Kind)
        {
            case FrameKind.Response:
            case FrameKind.Pong:
            {
                PendingRequest? request = _pending.TryTake(header.RequestId);
                if (request is null)
                {
                    OnDiagnostic($"dropped a {header.Kind} from {this} for request {header.RequestId}, which is not waiting (cancelled, timed out or unknown)");
                    return null;
                }

                request.Complete(FramePayload.CopyOf(payload));
                return null;
            }

            case FrameKind.ErrorResponse:
            {
                CometException error = payload.IsSingleSegment
                    ? FrameCodec.ReadErrorPayload(payload.FirstSpan)
                    : FrameCodec.ReadErrorPayload(payload.ToArray());
                if (header.RequestId == 0)
                {
                    // Connection-level: the peer is closing the connection and says why.
                    return new CometException(error.Code, $"{this} reported {error.Code}: {error.Message}", error);
                }

                PendingRequest? request = _pending.TryTake(header.RequestId);
                if (request is null)
                {
                    OnDiagnostic($"dropped an error response from {this} for request {header.RequestId}, which is not waiting");
                    return null;
                }

                request.Fail(error);
                return null;
            }

            case FrameKind.Request:
            case FrameKind.OneWay:
                return AcceptIncoming(header, payload);

            case FrameKind.Ping:
                TryQueueFrame(FrameKind.Pong, 0, header.RequestId, 0, static (_, _) => { });
                return null;

            case FrameKind.Hello:
                return new MalformedFrameException($"malformed frame from {this}: a Hello after the handshake");

            default:
                return new MalformedFrameException($"malformed frame from {this}: unknown frame kind {(byte)header.Kind}");
        }
    }

    private CometException? AcceptIncoming(in FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        bool oneWay = header.Kind == FrameKind.OneWay;
        if (!oneWay && header.RequestId == 0)
        {
            return new MalformedFrameException($"malformed frame from {this}: a request with request id 0");
        }

        if (_handler is null)
        {
            if (!oneWay)
            {
                SendError(header.RequestId, CometErrorCode.BadRequest, $"{LocalHello.NodeId} does not serve requests on this connection");
            }

            return null;
        }

        if (Volatile.Read(ref _state) != StateOpen)
        {
            if (!oneWay)
            {
                SendError(header.RequestId, CometErrorCode.Unavailable, $"{LocalHello.NodeId} is closing this connection; retry on another");
            }

            return null;
        }

        Interlocked.Increment(ref _incomingInFlight);
        var request = new IncomingRequest(this, oneWay, header.Opcode, header.RequestId, FramePayload.CopyOf(payload));
        if (_options.DispatchRequestsInline)
        {
            request.Run();
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(request, preferLocal: false);
        }

        return null;
    }
}
