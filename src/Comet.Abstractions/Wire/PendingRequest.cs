using System.Threading.Tasks.Sources;

namespace Comet.Abstractions.Wire;

/// <summary>
/// One outgoing request waiting for its response: a pooled, reusable completion (no Task per request).
/// Exactly one party completes it: whoever removes it from the <see cref="PendingRequestTable"/> (the reader on a
/// response, the cancellation callback, the timeout sweep, or the close path). The awaiter's continuation runs
/// on the thread pool so a slow caller never stalls the reader loop.
/// </summary>
internal sealed class PendingRequest : IValueTaskSource<FramePayload>
{
    private static readonly Action<object?> CancelCallback = static state => ((PendingRequest)state!).OnCanceled();

    private readonly PendingRequestTable _table;
    private ManualResetValueTaskSourceCore<FramePayload> _core = new() { RunContinuationsAsynchronously = true };
    private CancellationTokenRegistration _registration;
    private CancellationToken _token;

    public PendingRequest(PendingRequestTable table) => _table = table;

    public ulong Id { get; set; }

    public ushort Opcode { get; set; }

    /// <summary>Stopwatch timestamp after which the request times out; long.MaxValue for never.</summary>
    public long Deadline { get; set; }

    public ValueTask<FramePayload> AsValueTask() => new(this, _core.Version);

    /// <summary>Links the caller's token; must run before the request is added to the table.</summary>
    public void Register(CancellationToken token)
    {
        _token = token;
        if (token.CanBeCanceled)
        {
            _registration = token.UnsafeRegister(CancelCallback, this);
        }
    }

    /// <summary>Completes with a response. Only the party that removed the request from the table may call this.</summary>
    public void Complete(FramePayload payload)
    {
        // Dispose waits for a cancellation callback already running on another thread, so once the result is set
        // no callback can touch this object again (it is recycled as soon as the awaiter takes the result).
        _registration.Dispose();
        _registration = default;
        _core.SetResult(payload);
    }

    /// <summary>Completes with an error. Only the party that removed the request from the table may call this.</summary>
    public void Fail(Exception error)
    {
        _registration.Dispose();
        _registration = default;
        _core.SetException(error);
    }

    /// <summary>Gives back a request that was never added to the table (the connection had closed).</summary>
    public void Abandon()
    {
        _registration.Dispose();
        _registration = default;
        _token = default;
        _table.Recycle(this);
    }

    private void OnCanceled()
    {
        if (_table.TryRemove(Id, this))
        {
            _registration = default; // this callback is the registration; nothing left to dispose
            _core.SetException(new OperationCanceledException(_token));
        }
    }

    public FramePayload GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            _core.Reset();
            _token = default;
            _table.Recycle(this);
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);
}
