using Comet.Abstractions.Errors;
using Comet.Sandbox.Native;
using Comet.Sandbox.State;
using static Comet.Sandbox.Native.LuaNative;

namespace Comet.Sandbox;

/// <summary>
/// One handler call: start a coroutine, resume it through its host calls, then commit the new
/// state or roll back, and classify the outcome.
/// </summary>
public sealed partial class AsoObject
{
    private ValueTask<CallResult> Call(int which, AsoCaller? caller, AsoValue? extra, CancellationToken ct)
    {
        if (ct.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<CallResult>(ct);
        }
        try
        {
            BeginCall(which);
        }
        catch (Exception e)
        {
            return ValueTask.FromException<CallResult>(e);
        }
        int status;
        int nres;
        try
        {
            _calls++;
            // A kept coroutine must still carry its guard hook; if not, it is dropped for a new one.
            if (_co != 0 && lua_gethook(_co) == 0)
            {
                DropThread();
            }
            bool armed = _co != 0;
            nint co = armed ? _co : NewThread();
            if (armed)
            {
                _state.Rearm(co);
            }
            // What the host puts into the state counts against its heap (H2): refuse before building.
            EnsureFits(CallerCost(caller) + (extra is null ? 0 : LuaHeapCost.Of(extra, _state.HeapLimit)), which == WhichUpdate ? "the incoming object's data" : "the request's args");
            lua_rawgeti(co, LUA_REGISTRYINDEX, _state.RunRef);
            lua_rawgeti(co, LUA_REGISTRYINDEX, _asoRef);
            lua_pushinteger(co, which);
            if (caller is null)
            {
                lua_pushnil(co);
            }
            else
            {
                PushCaller(co, caller);
            }
            if (extra is null)
            {
                lua_pushnil(co);
            }
            else
            {
                LuaDataWriter.Push(co, extra);
            }
            lua_pushboolean(co, caller?.Node is not null ? 1 : 0);
            lua_pushboolean(co, armed ? 1 : 0);
            status = _state.Resume(co, 6, _timeoutTicks, ref _activeTicks, out nres);
        }
        catch (Exception e)
        {
            return ValueTask.FromException<CallResult>(Abort(e));
        }
        if (status == LUA_YIELD)
        {
            return ContinueAsync(nres, ct);
        }
        try
        {
            return new ValueTask<CallResult>(Complete(status, nres));
        }
        catch (Exception e)
        {
            return ValueTask.FromException<CallResult>(e);
        }
    }

    private async ValueTask<CallResult> ContinueAsync(int nres, CancellationToken ct)
    {
        int status = LUA_YIELD;
        try
        {
            while (status == LUA_YIELD)
            {
                int nargs = await ServeHostCallAsync(nres, ct).ConfigureAwait(false);
                status = _state.Resume(_co, nargs, _timeoutTicks, ref _activeTicks, out nres);
            }
        }
        catch (Exception e)
        {
            throw Abort(e);
        }
        return Complete(status, nres);
    }

    /// <summary>Ends a call whose coroutine stopped: commit on success, roll back and throw on failure.</summary>
    private CallResult Complete(int status, int nres)
    {
        try
        {
            bool changed = false;
            var failure = Classify(status, nres, out var result) ?? Commit(out changed);
            if (failure is not null)
            {
                Rollback();
                CountFailure(failure.Code);
                throw failure;
            }
            // Host pushes (arguments, replies) may pass the budget; do not keep the garbage.
            _collectAfterCall |= _state.HeapUsed > _state.HeapLimit;
            bool delete = _state.DeleteRequested;
            _deleteRequested = delete;
            // Finished cleanly, within every limit: the coroutine may serve the next call.
            _keepThread = _which != WhichChunk;
            return new CallResult(result, changed, delete, _state.InstructionsUsed);
        }
        finally
        {
            EndCall();
        }
    }

    /// <summary>Ends a call that broke off (cancelled, or a host failure): roll back, and hand back the exception to throw.</summary>
    private Exception Abort(Exception e)
    {
        try
        {
            if (!_closed)
            {
                Rollback();
            }
            CountFailure(e is CometException ce ? ce.Code : e is OperationCanceledException ? CometErrorCode.Timeout : CometErrorCode.Internal);
        }
        finally
        {
            EndCall();
        }
        return e;
    }

    /// <summary>Why the finished coroutine failed, or null; on success, onGet's result.</summary>
    private AsoException? Classify(int status, int nres, out AsoValue result)
    {
        result = AsoValue.Nil;
        string where = HandlerNames[_which];
        if (_state.Tripped == GuardTrip.Instructions)
        {
            return new AsoException(CometErrorCode.InstructionLimit,
                $"aso:{where}: ran past the limit of {_options.InstructionLimit} Lua instructions per call (an endless loop?).");
        }
        if (_state.Tripped == GuardTrip.Time || _activeTicks > _timeoutTicks)
        {
            return new AsoException(CometErrorCode.TimeLimit,
                $"aso:{where}: ran past the time limit of {_options.HandlerTimeout.TotalMilliseconds:0.##} ms per call.");
        }
        if (status == LUA_YIELD)
        {
            return null;
        }
        nint co = _co;
        if (status == LUA_ERRMEM || (status != LUA_OK && _hostRefusedMemory) ||
            (status != LUA_OK && _state.RefusedAllocations > 0 && LuaErrors.Describe(co, -1) == "not enough memory"))
        {
            return new AsoException(CometErrorCode.MemoryLimit,
                $"aso:{where}: needed more than the object's {_options.MemoryLimitBytes}-byte Lua heap.");
        }
        if (status != LUA_OK)
        {
            string message = LuaErrors.ForHandler(where, LuaErrors.Describe(co, -1));
            return new AsoException(_callRateLimited ? CometErrorCode.RateLimited : CometErrorCode.HandlerError, message);
        }
        int first = lua_gettop(co) - nres + 1;
        if (_which is WhichPut or WhichUpdate)
        {
            if (nres >= 1 && lua_type(co, first) == LUA_TBOOLEAN && lua_toboolean(co, first) == 0)
            {
                string reason = nres >= 2 && lua_type(co, first + 1) == LUA_TSTRING ? ": " + LuaErrors.Describe(co, first + 1) : ".";
                return new AsoException(CometErrorCode.Rejected, $"aso:{where} rejected the request{reason}");
            }
            if (_which == WhichUpdate && nres >= 1 && lua_type(co, first) == LUA_TSTRING && LuaErrors.Describe(co, first) == KeepAnswer)
            {
                result = KeepMarker;
            }
        }
        else if (_which == WhichGet && nres >= 1)
        {
            if (SameAsLastResult(co, first))
            {
                result = _lastResult!;
                return null;
            }
            var value = LuaDataReader.TryRead(co, first, _options.MaxStateBytes, out string? error, out bool tooLarge);
            if (value is null)
            {
                return new AsoException(tooLarge ? CometErrorCode.TooLarge : CometErrorCode.HandlerError, $"aso:onGet: the result cannot be sent: {error}.");
            }
            result = value;
            _lastResult = value;
        }
        return null;
    }

    /// <summary>
    /// A get usually answers the same scalar as last time (<c>aso.value</c>); AsoValues are
    /// immutable, so the last one can be handed out again instead of allocating a copy.
    /// </summary>
    private bool SameAsLastResult(nint co, int idx)
    {
        var last = _lastResult;
        if (last is null)
        {
            return false;
        }
        return lua_type(co, idx) switch
        {
            LUA_TSTRING => last.Kind == AsoValueKind.String && StringBytes(co, idx).SequenceEqual(last.StringSpan),
            LUA_TNUMBER => lua_isinteger(co, idx) != 0
                ? last.Kind == AsoValueKind.Integer && last.RawBits == ToInteger(co, idx)
                : last.Kind == AsoValueKind.Float && last.RawBits == BitConverter.DoubleToInt64Bits(ToNumber(co, idx)),
            _ => false,
        };
    }

    /// <summary>Encodes the data fields; they become the committed state. Null, or why they cannot be kept.</summary>
    private AsoException? Commit(out bool changed)
    {
        changed = false;
        nint L = _state.L;
        var buffer = EncodeBuffer.Rent();
        try
        {
            lua_rawgeti(L, LUA_REGISTRYINDEX, _asoRef);
            string? error = LuaDataReader.TryEncodeState(L, -1, buffer, _options.MaxStateBytes);
            lua_pop(L, 1);
            string where = HandlerNames[_which];
            if (error is not null && buffer.Length <= _options.MaxStateBytes)
            {
                return new AsoException(CometErrorCode.HandlerError, $"aso:{where}: the object's data cannot be stored: {error}.");
            }
            if (buffer.Length > _options.MaxStateBytes)
            {
                return new AsoException(CometErrorCode.TooLarge,
                    $"aso:{where}: the object's data is more than {_options.MaxStateBytes} bytes encoded, the limit (a table referenced several times counts once per reference).");
            }
            var written = buffer.Written;
            if (!written.SequenceEqual(_committed))
            {
                changed = true;
                _committed = written.ToArray();
            }
            return null;
        }
        finally
        {
            buffer.Release();
        }
    }

    private void BeginCall(int which)
    {
        if (Interlocked.Exchange(ref _busy, 1) != 0)
        {
            throw new InvalidOperationException("An AsoObject runs one handler call at a time.");
        }
        if (_closed || _disposeRequested)
        {
            Volatile.Write(ref _busy, 0);
            throw new ObjectDisposedException(nameof(AsoObject));
        }
        _which = which;
        _activeTicks = 0;
        _hostRefusedMemory = false;
        ResetNeighbourCalls();
        _state.ResetGuard();
    }

    private void EndCall()
    {
        if (!_closed)
        {
            if (_keepThread)
            {
                lua_settop(_co, 0);
            }
            else
            {
                DropThread();
            }
            _keepThread = false;
            if (_collectAfterCall)
            {
                _collectAfterCall = false;
                _state.Collect();
            }
            long used = _state.InstructionsUsed;
            _lastInstructions = used;
            _totalInstructions += used;
        }
        Volatile.Write(ref _busy, 0);
        if (_disposeRequested)
        {
            Close();
        }
    }

    private void CountFailure(CometErrorCode code)
    {
        _failures++;
        var counts = _failuresByCode ??= new long[32];
        if ((int)code >= 0 && (int)code < counts.Length)
        {
            counts[(int)code]++;
        }
    }

    /// <summary>
    /// A fresh coroutine, kept alive by the registry slot. A coroutine serves successive calls
    /// only while each finishes cleanly (status OK, no limit tripped): it is then exactly like a
    /// new one (base call level, empty stack, hooks allowed), and the host re-arms its count.
    /// Any failure drops it, never to be resumed again (E1, E4); the next call gets a new one.
    /// Reuse saves a thread allocation, its hook registration and its collection per call.
    /// </summary>
    private nint NewThread()
    {
        nint L = _state.L;
        nint co = lua_newthread(L);
        lua_rawseti(L, LUA_REGISTRYINDEX, _state.ThreadSlot);
        _co = co;
        return co;
    }

    /// <summary>Forgets the call's coroutine: never reused, never closed by hand; the collector frees it.</summary>
    private void DropThread()
    {
        if (_co != 0)
        {
            nint L = _state.L;
            lua_pushboolean(L, 0);
            lua_rawseti(L, LUA_REGISTRYINDEX, _state.ThreadSlot);
            _co = 0;
        }
    }

    /// <summary>Throws MemoryLimit when <paramref name="bytes"/> more would not fit in the object's heap budget.</summary>
    private void EnsureFits(long bytes, string what)
    {
        if (bytes > 0 && _state.HeapUsed + bytes > _state.HeapLimit)
        {
            throw new AsoException(CometErrorCode.MemoryLimit,
                $"aso:{HandlerNames[_which]}: {what} need about {bytes} bytes of Lua heap; the object has {Math.Max(0, _state.HeapLimit - _state.HeapUsed)} of its {_options.MemoryLimitBytes} left.");
        }
    }

    private long CallerCost(AsoCaller? caller)
    {
        if (caller is null)
        {
            return 0;
        }
        // The caller table with its four fields, the three strings, and the args.
        long cost = 56 + 4 * 32 + 3 * 32 + 3 * 8;
        cost += (caller.Ip?.Length ?? 0) * 3L + (caller.Id?.Length ?? 0) * 3L + (caller.Node?.Length ?? 0) * 3L;
        return caller.Args is null ? cost : cost + LuaHeapCost.Of(caller.Args, _state.HeapLimit);
    }

    private static void PushCaller(nint co, AsoCaller caller)
    {
        lua_createtable(co, 0, 4);
        int t = lua_gettop(co);
        if (caller.Ip is not null)
        {
            PushBytes(co, "ip"u8);
            PushString(co, caller.Ip);
            lua_rawset(co, t);
        }
        if (caller.Id is not null)
        {
            PushBytes(co, "id"u8);
            PushString(co, caller.Id);
            lua_rawset(co, t);
        }
        if (caller.Node is not null)
        {
            PushBytes(co, "node"u8);
            PushString(co, caller.Node);
            lua_rawset(co, t);
        }
        if (caller.Args is not null)
        {
            PushBytes(co, "args"u8);
            LuaDataWriter.Push(co, caller.Args);
            lua_rawset(co, t);
        }
    }
}
