using Comet.Abstractions.Errors;
using Comet.Sandbox.State;
using static Comet.Sandbox.Native.LuaNative;

namespace Comet.Sandbox;

/// <summary>
/// The host side of <c>comet.lookup/get/put</c>: the Lua wrapper yielded
/// <c>(MARKER, op, a, b)</c>; this validates the request, enforces the per-call cap and the
/// per-second rate limit, awaits <see cref="IAsoNeighbours"/>, and pushes <c>(true, answer)</c> or
/// <c>(false, message)</c> for the wrapper to return or raise. Nothing here raises a Lua error.
/// </summary>
public sealed partial class AsoObject
{
    private const int OpLookup = 1;
    private const int OpGet = 2;
    private const int OpPut = 3;
    private const int MaxNodesPerCall = 64;
    private const long RateWindowMilliseconds = 1000;

    private int _callNeighbourCalls;
    // A neighbour reply (or other host value) did not fit in the heap budget during this call.
    private bool _hostRefusedMemory;
    private bool _callRateLimited;
    private IReadOnlyList<string>? _callLookup;
    private long _neighbourCallsTotal;
    private long[]? _recentCalls;
    private int _recentNext;
    private int _recentCount;

    private void ResetNeighbourCalls()
    {
        _callNeighbourCalls = 0;
        _callRateLimited = false;
        _callLookup = null;
    }

    /// <summary>Serves the host call the coroutine yielded; leaves the answer on its stack and returns how many values it pushed.</summary>
    private async ValueTask<int> ServeHostCallAsync(int nres, CancellationToken ct)
    {
        nint co = _co;
        int top = lua_gettop(co);
        int first = top - nres + 1;
        if (nres != 4 || !IsMarker(co, first))
        {
            throw new AsoException(CometErrorCode.HandlerError, $"aso:{HandlerNames[_which]}: the handler yielded outside a host call.");
        }
        int op = (int)ToInteger(co, first + 1);
        var answer = op switch
        {
            OpLookup => await LookupAsync("comet.lookup", ct).ConfigureAwait(false),
            OpGet or OpPut => await ExchangeAsync(op, co, first + 2, first + 3, ct).ConfigureAwait(false),
            _ => Answer.Fail("unknown host call"),
        };
        co = _co;
        lua_settop(co, first - 1);
        lua_pushboolean(co, answer.Ok ? 1 : 0);
        if (!answer.Ok)
        {
            PushString(co, answer.Error!);
        }
        else if (answer.Nodes is { } nodes)
        {
            LuaDataWriter.PushStringList(co, nodes);
        }
        else
        {
            long cost = RepliesCost(answer.Replies!, _state.HeapLimit);
            if (_state.HeapUsed + cost > _state.HeapLimit)
            {
                // Refused before it is built (H2): the call fails inside the handler.
                _hostRefusedMemory = true;
                lua_pop(co, 1);
                lua_pushboolean(co, 0);
                PushString(co, $"not enough memory: the replies need about {cost} bytes of Lua heap, the object has {Math.Max(0, _state.HeapLimit - _state.HeapUsed)} left");
            }
            else
            {
                PushReplies(co, answer.Replies!);
            }
        }
        return 2;
    }

    private bool IsMarker(nint co, int idx)
    {
        lua_rawgeti(co, LUA_REGISTRYINDEX, _state.MarkerRef);
        bool same = lua_rawequal(co, idx, -1) != 0;
        lua_pop(co, 1);
        return same;
    }

    private async ValueTask<Answer> LookupAsync(string fname, CancellationToken ct)
    {
        if (_callLookup is { } cached)
        {
            return Answer.Of(cached);
        }
        try
        {
            var nodes = await _neighbours.LookupAsync(Context, ct).ConfigureAwait(false);
            _callLookup = nodes ?? [];
            return Answer.Of(_callLookup);
        }
        catch (Exception e) when (!IsOurCancellation(e, ct))
        {
            return Answer.Fail($"{fname}: {e.Message}");
        }
    }

    private async ValueTask<Answer> ExchangeAsync(int op, nint co, int nodesIdx, int valueIdx, CancellationToken ct)
    {
        string fname = op == OpGet ? "comet.get" : "comet.put";
        // Read everything off the coroutine's stack before the first await.
        var nodes = ReadNodes(co, nodesIdx, fname, out string? error);
        if (nodes is null)
        {
            return Answer.Fail(error!);
        }
        // The caps first: host work for a call that will be refused anyway is not done (H3).
        if (_callNeighbourCalls >= _options.MaxNeighbourCallsPerHandler)
        {
            _callRateLimited = true;
            return Answer.Fail($"{fname}: at most {_options.MaxNeighbourCallsPerHandler} neighbour calls per handler call");
        }
        if (!TryTakeRateToken())
        {
            _callRateLimited = true;
            return Answer.Fail($"{fname}: this object may make at most {_options.MaxNeighbourCallsPerSecond} neighbour calls per second");
        }
        AsoValue? value = null;
        if (lua_type(co, valueIdx) != LUA_TNIL)
        {
            // Bounded by the state limit: O(limit) work for any shape (H1).
            value = LuaDataReader.TryRead(co, valueIdx, _options.MaxStateBytes, out error, out _);
            if (value is null)
            {
                return Answer.Fail($"{fname}: the {(op == OpGet ? "args" : "data")} cannot be sent: {error}");
            }
        }
        var lookup = await LookupAsync(fname, ct).ConfigureAwait(false);
        if (!lookup.Ok)
        {
            return lookup;
        }
        foreach (string node in nodes)
        {
            if (!Contains(lookup.Nodes!, node))
            {
                return Answer.Fail($"{fname}: '{node}' is not one of this key's neighbours (see comet.lookup())");
            }
        }
        _callNeighbourCalls++;
        _neighbourCallsTotal++;
        try
        {
            var replies = op == OpGet
                ? await _neighbours.GetAsync(Context, nodes, value, ct).ConfigureAwait(false)
                : await _neighbours.PutAsync(Context, nodes, value!, ct).ConfigureAwait(false);
            return Answer.Of(replies ?? []);
        }
        catch (Exception e) when (!IsOurCancellation(e, ct))
        {
            return Answer.Fail($"{fname}: {e.Message}");
        }
    }

    private static bool IsOurCancellation(Exception e, CancellationToken ct) => e is OperationCanceledException && ct.IsCancellationRequested;

    /// <summary>A non-empty Lua array of distinct node id strings, or null and why not.</summary>
    private static string[]? ReadNodes(nint co, int idx, string fname, out string? error)
    {
        error = null;
        const string Expected = "nodes must be a non-empty list of node ids from comet.lookup()";
        if (lua_type(co, idx) != LUA_TTABLE)
        {
            error = $"{fname}: {Expected}";
            return null;
        }
        ulong n = lua_rawlen(co, idx);
        if (n == 0 || n > MaxNodesPerCall)
        {
            error = n == 0 ? $"{fname}: {Expected}" : $"{fname}: at most {MaxNodesPerCall} nodes per call";
            return null;
        }
        var nodes = new string[n];
        for (int i = 0; i < (int)n; i++)
        {
            bool isString = lua_rawgeti(co, idx, i + 1) == LUA_TSTRING;
            if (isString)
            {
                nodes[i] = System.Text.Encoding.UTF8.GetString(StringBytes(co, -1));
            }
            lua_pop(co, 1);
            if (!isString)
            {
                error = $"{fname}: {Expected}";
                return null;
            }
            for (int j = 0; j < i; j++)
            {
                if (nodes[j] == nodes[i])
                {
                    error = $"{fname}: node '{nodes[i]}' is listed twice";
                    return null;
                }
            }
        }
        return nodes;
    }

    private static bool Contains(IReadOnlyList<string> list, string item)
    {
        for (int i = 0; i < list.Count; i++)
        {
            if (string.Equals(list[i], item, StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Sliding one-second window over the object's last N outgoing neighbour calls.</summary>
    private bool TryTakeRateToken()
    {
        long now = _runtime.Clock.NowMilliseconds();
        var ring = _recentCalls ??= new long[_options.MaxNeighbourCallsPerSecond];
        if (_recentCount == ring.Length && now - ring[_recentNext] < RateWindowMilliseconds)
        {
            return false;
        }
        ring[_recentNext] = now;
        _recentNext = (_recentNext + 1) % ring.Length;
        if (_recentCount < ring.Length)
        {
            _recentCount++;
        }
        return true;
    }

    private static long RepliesCost(IReadOnlyList<NeighbourReply> replies, long cap)
    {
        long cost = 56 + 16L * replies.Count;
        foreach (var reply in replies)
        {
            cost += 56 + 4 * 32 + 64 + (reply.Node?.Length ?? 0) * 3L + (reply.Error?.Length ?? 0) * 3L;
            if (reply.Value is { } value)
            {
                cost += LuaHeapCost.Of(value, cap);
            }
            if (cost > cap)
            {
                break;
            }
        }
        return cost;
    }

    /// <summary>Pushes <c>{ {node=, ok=, value=, error=}, ... }</c>.</summary>
    private static void PushReplies(nint co, IReadOnlyList<NeighbourReply> replies)
    {
        lua_createtable(co, replies.Count, 0);
        int list = lua_gettop(co);
        for (int i = 0; i < replies.Count; i++)
        {
            var reply = replies[i];
            lua_createtable(co, 0, 4);
            int t = lua_gettop(co);
            PushBytes(co, "node"u8);
            PushString(co, reply.Node ?? "");
            lua_rawset(co, t);
            PushBytes(co, "ok"u8);
            lua_pushboolean(co, reply.Ok ? 1 : 0);
            lua_rawset(co, t);
            if (reply.Value is { IsNil: false } value)
            {
                PushBytes(co, "value"u8);
                LuaDataWriter.Push(co, value);
                lua_rawset(co, t);
            }
            if (reply.Error is not null)
            {
                PushBytes(co, "error"u8);
                PushString(co, reply.Error);
                lua_rawset(co, t);
            }
            lua_rawseti(co, list, i + 1);
        }
    }

    private readonly record struct Answer(bool Ok, IReadOnlyList<string>? Nodes, IReadOnlyList<NeighbourReply>? Replies, string? Error)
    {
        public static Answer Of(IReadOnlyList<string> nodes) => new(true, nodes, null, null);

        public static Answer Of(IReadOnlyList<NeighbourReply> replies) => new(true, null, replies, null);

        public static Answer Fail(string error) => new(false, null, null, error);
    }
}
