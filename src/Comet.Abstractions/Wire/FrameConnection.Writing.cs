using System.Buffers;
using Comet.Abstractions.Errors;

namespace Comet.Abstractions.Wire;

public sealed partial class FrameConnection
{
    private readonly Lock _writeLock = new();
    private readonly WriterSignal _writerSignal = new();
    private readonly Task _writerTask;
    private FrameOutbox _outbox = new();
    private FrameOutbox? _standby = new();
    private bool _writerParked;
    private bool _writesClosed;
    private bool _inPayloadWriter;

    /// <summary>
    /// Serialises one frame into the outbox and wakes the writer loop if it is parked. Returns the reason when the
    /// frame cannot be queued (too large, connection closed); exceptions from <paramref name="writePayload"/>
    /// propagate after the partial frame is rolled back.
    /// </summary>
    private CometException? TryQueueFrame<TState>(
        FrameKind kind,
        ushort opcode,
        ulong requestId,
        TState state,
        Action<IBufferWriter<byte>, TState> writePayload)
    {
        lock (_writeLock)
        {
            if (_writesClosed)
            {
                return ClosedError();
            }

            if (_inPayloadWriter)
            {
                throw new InvalidOperationException("A payload writer must not send on the connection it is writing to.");
            }

            FrameOutbox outbox = _outbox;
            FrameOutbox.Mark mark = outbox.GetMark();
            ArraySegment<byte> header = outbox.Reserve(FrameCodec.PrefixedHeaderSize);
            long start = outbox.Length;
            _inPayloadWriter = true;
            try
            {
                writePayload(outbox, state);
            }
            catch
            {
                outbox.Rollback(mark);
                throw;
            }
            finally
            {
                _inPayloadWriter = false;
            }

            long payloadLength = outbox.Length - start;
            if (payloadLength > _maxPayload)
            {
                outbox.Rollback(mark);
                return TooLarge(Describe(kind), payloadLength);
            }

            FrameCodec.WriteHeader(header.AsSpan(), kind, opcode, requestId, (int)payloadLength);
            if (_writerParked)
            {
                _writerParked = false;
                _writerSignal.Set();
            }

            return null;
        }
    }

    internal ValueTask SendResponse(ulong requestId, ReadOnlyMemory<byte> payload)
    {
        if (payload.Length > _maxPayload)
        {
            return SendResponseTooLarge(requestId, payload.Length);
        }

        TryQueueFrame(FrameKind.Response, 0, requestId, payload, static (writer, memory) => writer.Write(memory.Span));
        return ValueTask.CompletedTask;
    }

    internal ValueTask SendResponse<TState>(ulong requestId, TState state, Action<IBufferWriter<byte>, TState> writePayload)
    {
        CometException? error;
        try
        {
            error = TryQueueFrame(FrameKind.Response, 0, requestId, state, writePayload);
        }
        catch (Exception ex)
        {
            // The payload writer threw (its partial frame was rolled back): the requester still gets an answer,
            // unless this is a re-entrant send from inside another payload writer, which cannot write anything.
            if (!_writeLock.IsHeldByCurrentThread)
            {
                SendError(requestId, CometErrorCode.Internal, $"{LocalHello.NodeId} failed to write the response; see its log");
            }

            return ValueTask.FromException(ex);
        }

        if (error is { Code: CometErrorCode.TooLarge })
        {
            SendError(requestId, CometErrorCode.TooLarge, error.Message);
            return ValueTask.FromException(error);
        }

        // A closed connection drops the answer: the requester has already failed with Unavailable.
        return ValueTask.CompletedTask;
    }

    private ValueTask SendResponseTooLarge(ulong requestId, long length)
    {
        CometException error = TooLarge("response", length);
        SendError(requestId, CometErrorCode.TooLarge, error.Message);
        return ValueTask.FromException(error);
    }

    internal void SendError(ulong requestId, CometErrorCode code, string message)
    {
        if (message.Length > MaxErrorMessageChars)
        {
            message = message[..MaxErrorMessageChars];
        }

        TryQueueFrame(FrameKind.ErrorResponse, 0, requestId, (code, message), static (writer, error) => FrameCodec.WriteErrorPayload(writer, error.code, error.message));
    }

    private static string Describe(FrameKind kind) => kind switch
    {
        FrameKind.Request => "request",
        FrameKind.Response => "response",
        FrameKind.OneWay => "one-way frame",
        FrameKind.ErrorResponse => "error response",
        _ => kind.ToString(),
    };

    /// <summary>No more frames may be queued; the writer loop sends what is queued and exits.</summary>
    private void CloseWrites()
    {
        lock (_writeLock)
        {
            _writesClosed = true;
            if (_writerParked)
            {
                _writerParked = false;
                _writerSignal.Set();
            }
        }
    }

    /// <summary>
    /// The one writer of the socket: takes everything queued since its last send (swapping in the spare outbox so
    /// callers keep queueing meanwhile), sends it in one gathered send, and parks when nothing is queued.
    /// </summary>
    private async Task WriteLoopAsync()
    {
        await Task.Yield(); // never run the loop on the constructing thread
        FrameOutbox? batch = null;
        try
        {
            while (true)
            {
                batch = null;
                ValueTask wait = default;
                lock (_writeLock)
                {
                    if (!_outbox.IsEmpty)
                    {
                        batch = _outbox;
                        _outbox = _standby!;
                        _standby = null;
                    }
                    else if (_writesClosed)
                    {
                        break;
                    }
                    else
                    {
                        _writerParked = true;
                        wait = _writerSignal.WaitAsync();
                    }
                }

                if (batch is null)
                {
                    await wait.ConfigureAwait(false);
                    continue;
                }

                if (IsClosed)
                {
                    break; // aborted: nothing queued will ever be read
                }

                await _transport.SendAsync(batch).ConfigureAwait(false);
                batch.Reset();
                lock (_writeLock)
                {
                    _standby = batch;
                }

                batch = null;
            }
        }
        catch (Exception ex)
        {
            Abort(new CometException(CometErrorCode.Unavailable, $"sending to {_peerName} failed: {ex.Message}", ex));
        }
        finally
        {
            _transport.ShutdownSend();
            lock (_writeLock)
            {
                _writesClosed = true;
                _writerParked = false;
                _outbox.Release();
                _standby?.Release();
                batch?.Release();
            }
        }
    }
}
