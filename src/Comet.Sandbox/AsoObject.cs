using System.Diagnostics;
using Comet.Abstractions.Errors;
using Comet.Sandbox.Native;

namespace Comet.Sandbox;

/// <summary>
/// One active storage object at one replica: its own sandboxed Lua state, its handlers, its
/// data fields. Not thread-safe: the grid runs one turn at a time (a second concurrent call
/// throws <see cref="InvalidOperationException"/>), though a turn may resume on another thread
/// after a neighbour call.
/// </summary>
/// <remarks>
/// <para>Every handler call runs as a coroutine with its own instruction, time and heap guards.
/// A coroutine that finished its call cleanly serves the next one (re-armed); after any failure
/// it is dropped and the next call gets a new one (SANDBOX.md E1, E4).</para>
/// <para>A call that fails for any reason (<see cref="AsoException"/>: HandlerError,
/// InstructionLimit, MemoryLimit, TimeLimit, RateLimited, Rejected, TooLarge) leaves the object
/// exactly as re-activating it from its persisted state would: the data fields as they were
/// before the call, the functions as the code defined them. The object keeps working.</para>
/// <para>Only <c>aso</c>'s fields are the object; globals a handler sets are scratch space that
/// is neither persisted nor rolled back.</para>
/// </remarks>
public sealed partial class AsoObject : IDisposable
{
    private const int WhichChunk = 0;
    private const int WhichPut = 1;
    private const int WhichGet = 2;
    private const int WhichUpdate = 3;
    private const int WhichTimer = 4;
    private static readonly string[] HandlerNames = ["chunk", "onPut", "onGet", "onUpdate", "onTimer"];

    private readonly AsoRuntime _runtime;
    private readonly AsoSandboxOptions _options;
    private readonly SandboxState _state;
    private readonly IAsoNeighbours _neighbours;
    private readonly long _timeoutTicks;
    private int _asoRef;
    private int _functionsRef;
    private byte[] _committed = [];
    private AsoValue? _lastResult;

    // The running call: one at a time.
    private int _busy;
    private bool _disposeRequested;
    private bool _closed;
    private nint _co;
    private bool _keepThread;
    private bool _collectAfterCall;
    private int _which;
    private long _activeTicks;

    // Statistics.
    private long _calls;
    private long _failures;
    private long[]? _failuresByCode;
    private long _lastInstructions;
    private long _totalInstructions;
    private bool _deleteRequested;

    internal AsoObject(AsoRuntime runtime, SandboxState state, AsoContext context, IAsoNeighbours neighbours)
    {
        _runtime = runtime;
        _options = runtime.Options;
        _state = state;
        Context = context;
        _neighbours = neighbours;
        _timeoutTicks = (long)(_options.HandlerTimeout.TotalSeconds * Stopwatch.Frequency);
    }

    /// <summary>The object's identity at this replica.</summary>
    public AsoContext Context { get; }

    /// <summary>The current data fields of <c>aso</c> (a snapshot; functions are not data).</summary>
    public AsoValue Data => AsoStateCodec.Decode(_committed);

    /// <summary>
    /// From <c>aso.timerPeriod</c>, clamped to [<see cref="AsoSandboxOptions.MinTimerPeriodSeconds"/>,
    /// <see cref="AsoSandboxOptions.MaxTimerPeriodSeconds"/>] (always a valid timer period); null when
    /// absent, not a number, or not finite. A put whose code sets it out of range is refused at load.
    /// </summary>
    public double? TimerPeriodSeconds
    {
        get
        {
            double? period = NumberField("timerPeriod"u8);
            return period is double p && double.IsFinite(p) ? Math.Clamp(p, _options.MinTimerPeriodSeconds, _options.MaxTimerPeriodSeconds) : null;
        }
    }

    /// <summary>
    /// From <c>aso.ttl</c> (seconds, negative read as 0, at most <see cref="AsoSandboxOptions.MaxTtlSeconds"/>
    /// so that no expiry time overflows); null when absent, not a number, or not finite. The grid
    /// caps it at the operator's maximum.
    /// </summary>
    public double? TtlSeconds
    {
        get
        {
            double? ttl = NumberField("ttl"u8);
            return ttl is double t && double.IsFinite(t) ? Math.Clamp(t, 0, AsoSandboxOptions.MaxTtlSeconds) : null;
        }
    }

    /// <summary>
    /// Refuses, at the first store, code whose <c>aso.timerPeriod</c> is longer than any timer
    /// can wait (huge numbers overflowed TimeSpan: a 500 after the object was stored). Periods
    /// below the minimum are raised to it, as before; <c>aso.ttl</c> is clamped, never refused.
    /// </summary>
    private void ValidateLifetimeFields()
    {
        double? period = NumberField("timerPeriod"u8);
        if (period is double p && p > _options.MaxTimerPeriodSeconds)
        {
            throw new AsoException(CometErrorCode.BadCode,
                $"aso.timerPeriod = {p} seconds is too long: use a number from {_options.MinTimerPeriodSeconds} to {_options.MaxTimerPeriodSeconds}.");
        }
    }

    /// <summary>The last handler call called <c>comet.deleteSelf()</c> (and succeeded).</summary>
    public bool DeleteRequested => _deleteRequested;

    /// <summary>The code defines <c>aso:onGet</c>.</summary>
    public bool HasOnGet => HasFunction("onGet"u8);

    /// <summary>The code defines <c>aso:onPut</c>.</summary>
    public bool HasOnPut => HasFunction("onPut"u8);

    /// <summary>The code defines <c>aso:onUpdate</c>.</summary>
    public bool HasOnUpdate => HasFunction("onUpdate"u8);

    /// <summary>The code defines <c>aso:onTimer</c>.</summary>
    public bool HasOnTimer => HasFunction("onTimer"u8);

    /// <summary>Lua heap bytes the object holds now.</summary>
    public long HeapBytes => _closed ? 0 : _state.HeapUsed;

    /// <summary>A snapshot of the object's statistics.</summary>
    public AsoStats Stats
    {
        get
        {
            var byCode = new Dictionary<CometErrorCode, long>();
            if (_failuresByCode is { } counts)
            {
                for (int i = 0; i < counts.Length; i++)
                {
                    if (counts[i] != 0)
                    {
                        byCode[(CometErrorCode)i] = counts[i];
                    }
                }
            }
            return new AsoStats
            {
                Calls = _calls,
                Failures = _failures,
                FailuresByCode = byCode,
                LastInstructions = _lastInstructions,
                TotalInstructions = _totalInstructions,
                NeighbourCalls = _neighbourCallsTotal,
                HeapBytes = HeapBytes,
                PeakHeapBytes = _closed ? 0 : _state.HeapPeak,
            };
        }
    }

    /// <summary>The canonical bytes of the data fields (<see cref="AsoStateCodec"/>), for persistence; a fresh copy.</summary>
    public byte[] EncodeState() => (byte[])_committed.Clone();

    /// <summary>
    /// The object was just stored at this replica. Returning <c>false</c> rejects the put
    /// (<see cref="CometErrorCode.Rejected"/>; a second return value, if a string, is the reason);
    /// raising an error fails it (<see cref="CometErrorCode.HandlerError"/>). No onPut accepts.
    /// </summary>
    public ValueTask<HandlerOutcome> OnPutAsync(AsoCaller caller, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return ToHandlerOutcome(Call(WhichPut, caller, null, ct));
    }

    /// <summary>Answers a get with onGet's first result, or <c>aso.value</c> without onGet.</summary>
    public ValueTask<GetOutcome> OnGetAsync(AsoCaller caller, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var call = Call(WhichGet, caller, null, ct);
        if (call.IsCompletedSuccessfully)
        {
            var r = call.Result;
            return new ValueTask<GetOutcome>(new GetOutcome(r.Result, r.StateChanged, r.DeleteRequested, r.Instructions));
        }
        return AwaitGet(call);

        static async ValueTask<GetOutcome> AwaitGet(ValueTask<CallResult> call)
        {
            var r = await call.ConfigureAwait(false);
            return new GetOutcome(r.Result, r.StateChanged, r.DeleteRequested, r.Instructions);
        }
    }

    /// <summary>
    /// A put arrived for this key. <paramref name="incoming"/> (the new object's data) reaches
    /// the handler as a fresh copy each call: writes to it change nothing else. Returning
    /// <c>false</c> rejects the put; returning <c>"keep"</c> absorbs it (<see cref="HandlerOutcome.Keep"/>:
    /// the put succeeds and this object, with the handler's changes, becomes the new version —
    /// how a bag or a pub/sub topic accumulates puts); otherwise the grid replaces this object with the new one.
    /// </summary>
    public ValueTask<HandlerOutcome> OnUpdateAsync(AsoCaller caller, AsoValue incoming, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(incoming);
        return ToHandlerOutcome(Call(WhichUpdate, caller, incoming, ct));
    }

    /// <summary>The object's timer fired (every <see cref="TimerPeriodSeconds"/>); runs <c>aso:onTimer()</c>.</summary>
    public ValueTask<HandlerOutcome> OnTimerAsync(CancellationToken ct = default) => ToHandlerOutcome(Call(WhichTimer, null, null, ct));

    /// <summary>Closes the Lua state (at the end of the running call, if one is suspended).</summary>
    public void Dispose()
    {
        if (Volatile.Read(ref _busy) != 0)
        {
            _disposeRequested = true;
            return;
        }
        Close();
    }

    /// <summary>The object's Lua state, for the sandbox's own tests.</summary>
    internal nint LuaState => _state.L;

    private static ValueTask<HandlerOutcome> ToHandlerOutcome(ValueTask<CallResult> call)
    {
        if (call.IsCompletedSuccessfully)
        {
            var r = call.Result;
            return new ValueTask<HandlerOutcome>(new HandlerOutcome(r.StateChanged, r.DeleteRequested, r.Instructions, ReferenceEquals(r.Result, KeepMarker)));
        }
        return Await(call);

        static async ValueTask<HandlerOutcome> Await(ValueTask<CallResult> call)
        {
            var r = await call.ConfigureAwait(false);
            return new HandlerOutcome(r.StateChanged, r.DeleteRequested, r.Instructions, ReferenceEquals(r.Result, KeepMarker));
        }
    }

    /// <summary>What <c>onUpdate</c> returns to absorb a put: accept it, but keep this object (with what the handler changed) as the new version.</summary>
    public const string KeepAnswer = "keep";

    private static readonly AsoValue KeepMarker = AsoValue.FromString(KeepAnswer);

    private void Close()
    {
        if (_closed)
        {
            return;
        }
        _closed = true;
        _co = 0;
        _state.Dispose();
        _runtime.OnObjectClosed(_state.ResidualBytes);
    }

    private readonly record struct CallResult(AsoValue Result, bool StateChanged, bool DeleteRequested, long Instructions);
}
