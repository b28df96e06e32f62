using Comet.Abstractions.Options;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Keys;
using Comet.Abstractions.Protocol;
using Comet.Abstractions.Versions;
using Comet.Grid.Messaging;
using Comet.Grid.Replication;
using Comet.Sandbox;
using Microsoft.Extensions.Logging;

namespace Comet.Grid.Grains;

/// <summary>
/// The activation of one key's replica on this silo (an Orleans grain activation): it holds the
/// replica record and one sandboxed Lua state per live ASO version, runs one turn at a time, and
/// drives <c>onTimer</c> with a grain timer. Every replica runs its own handlers (Comet's
/// per-replica semantics), so a get counter counts per replica.
/// </summary>
public sealed partial class KeyGrain
{
    private readonly GrainRuntime _rt;
    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly Dictionary<Dot, AsoObject> _objects = [];
    private ReplicaRecord _record = null!;
    private bool _loaded;
    private ulong _reservedCounter;
    private ITimer? _timer;
    private double? _timerPeriod;
    private bool _timerRegistered;

    public KeyGrain(GrainRuntime runtime, ObjectKey key, int partition, bool timerRegistered = false)
    {
        _rt = runtime;
        Key = key;
        Partition = partition;
        _timerRegistered = timerRegistered;
        LastUsedMs = runtime.NowMs();
    }

    public ObjectKey Key { get; }

    public int Partition { get; }

    public long LastUsedMs { get; private set; }

    public bool IsDeactivated { get; private set; }

    /// <summary>An ASO with a running timer keeps its activation alive.</summary>
    public bool HasTimer => _timer is not null;

    /// <summary>Replica-local state changed by a handler and not yet written.</summary>
    public bool IsDirty { get; private set; }

    private string Self => _rt.Options.SiloId;

    /// <summary>Runs <paramref name="operation"/> as one turn: after every earlier turn, before every later one.</summary>
    public async ValueTask<TResult> RunAsync<TState, TResult>(Func<KeyGrain, TState, CancellationToken, ValueTask<TResult>> operation, TState state, CancellationToken ct,
        TimeSpan? turnWait = null)
    {
        if (turnWait is { } wait)
        {
            // A neighbour call from another replica's handler must not wait for this replica's own
            // handler: that one may be waiting on a neighbour call to the caller (a cycle of turns).
            if (!await _turn.WaitAsync(wait, ct).ConfigureAwait(false))
                throw new CometException(CometErrorCode.Timeout,
                    $"The replica of '{Key.Key}' on {Self} is busy in a handler of its own (perhaps waiting on a neighbour call); neighbour calls do not wait for it.");
        }
        else
        {
            await _turn.WaitAsync(ct).ConfigureAwait(false);
        }
        try
        {
            if (IsDeactivated) throw new GrainDeactivatedException();
            if (!_loaded) await LoadAsync(ct).ConfigureAwait(false);
            LastUsedMs = _rt.NowMs();
            return await operation(this, state, ct).ConfigureAwait(false);
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>Tries to take a turn without waiting, to deactivate an idle activation.</summary>
    public async ValueTask<bool> TryDeactivateAsync(long idleBeforeMs)
    {
        if (!_turn.Wait(0)) return false;
        try
        {
            if (IsDeactivated || LastUsedMs > idleBeforeMs || HasTimer) return false;
            await FlushCoreAsync().ConfigureAwait(false);
            DeactivateCore();
            return true;
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>Writes dirty state and releases everything: silo shutdown.</summary>
    public async ValueTask DeactivateAsync()
    {
        await _turn.WaitAsync().ConfigureAwait(false);
        try
        {
            if (IsDeactivated) return;
            await FlushCoreAsync().ConfigureAwait(false);
            DeactivateCore();
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>Drops the activation without writing anything: a killed silo.</summary>
    public void Abandon()
    {
        IsDeactivated = true;
        _timer?.Dispose();
        _timer = null;
    }

    public async ValueTask FlushAsync()
    {
        await _turn.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!IsDeactivated) await FlushCoreAsync().ConfigureAwait(false);
        }
        finally
        {
            _turn.Release();
        }
    }

    // ---- operations, each called inside a turn ----

    /// <summary>A counter for a new version coordinated here, and what this replica has seen.</summary>
    internal (ulong Counter, VectorClock Clock) ReserveCounter(VectorClock? context)
    {
        var counter = Math.Max(Math.Max(_record.MaxCounterOf(Self), _reservedCounter), context?[Self] ?? 0) + 1;
        _reservedCounter = counter;
        return (counter, _record.CausalClock());
    }

    internal async ValueTask<ReplicaPutStatus> ApplyPutAsync(ReplicaPutRequest request, CancellationToken ct)
    {
        var incoming = request.Entry;
        var now = _rt.NowMs();
        var sameVersion = request.Mode == PutMode.Neighbour;
        if (!sameVersion && _record.Knows(incoming.Version.Dot)) return ReplicaPutStatus.AlreadyKnown;
        foreach (var live in _record.Live)
            if (live.Version.Supersedes(incoming.Version)) return ReplicaPutStatus.Obsolete;

        var superseded = new List<VersionEntry>();
        foreach (var live in _record.Live)
            if (incoming.Version.Supersedes(live.Version) || (sameVersion && live.Version.Dot == incoming.Version.Dot)) superseded.Add(live);

        AsoObject? fresh = null;
        VersionEntry? keeper = null;
        try
        {
            if (incoming.Kind == ObjectKind.Aso)
                fresh = _rt.Sandbox.Load(ContextFor(incoming.Code!), incoming.Code!, incoming.Payload.Span, _rt.Neighbours);
            if (request.Mode != PutMode.Repair)
            {
                var caller = AsoInterop.ToCaller(request.Caller);
                var incomingData = fresh?.Data ?? (incoming.Kind == ObjectKind.Value ? AsoInterop.ValueTable(incoming.Payload.Span) : AsoInterop.TombstoneTable);
                foreach (var old in superseded)
                {
                    if (old.Kind != ObjectKind.Aso || old.IsExpired(now)) continue;
                    var outcome = await GetObject(old).OnUpdateAsync(caller, incomingData, ct).ConfigureAwait(false);
                    if (outcome.Keep && keeper is null) keeper = old;
                }
                if (fresh is not null && keeper is null) await fresh.OnPutAsync(caller, ct).ConfigureAwait(false);
            }
            VersionEntry stored;
            if (keeper is not null)
            {
                // onUpdate said "keep": the put is absorbed; the old object, as its handler left it, is the new version.
                var kept = GetObject(keeper);
                _objects.Remove(keeper.Version.Dot);
                fresh?.Dispose();
                fresh = kept;
                stored = incoming with { Kind = ObjectKind.Aso, Code = keeper.Code, Payload = kept.EncodeState(), ExpiresAtMs = keeper.ExpiresAtMs };
                stored = stored with { ExpiresAtMs = ExpiryFor(kept, stored) };
            }
            else
            {
                stored = fresh is null ? incoming : incoming with { Payload = fresh.EncodeState(), ExpiresAtMs = ExpiryFor(fresh, incoming) };
            }

            var live = new List<VersionEntry>(_record.Live.Count + 1);
            foreach (var entry in _record.Live)
                if (!superseded.Contains(entry)) live.Add(entry);
            live.Add(stored);
            var retired = superseded.Where(s => s.Version.Dot != stored.Version.Dot).OrderByDescending(s => s.WrittenAtMs);
            var next = new ReplicaRecord(Key.Namespace, Key.Key, live, TrimHistory(retired.Concat(_record.History), live.Count));
            await _rt.Store.WriteAsync(Key, Partition, next, CancellationToken.None).ConfigureAwait(false);
            _record = next;
            IsDirty = false;
            foreach (var old in superseded) DropObject(old.Version.Dot);
            if (fresh is not null)
            {
                _objects[stored.Version.Dot] = fresh;
                fresh = null;
            }
            await SyncTimerAsync().ConfigureAwait(false);
            return ReplicaPutStatus.Applied;
        }
        finally
        {
            fresh?.Dispose();
        }
    }

    internal async ValueTask<ReplicaGetResponse> ReadAsync(ReplicaGetRequest request, CancellationToken ct)
    {
        if (request.Version is not null) return ReadVersion(Dot.Parse(request.Version));
        var now = _rt.NowMs();
        var items = new ReplicaItem[_record.Live.Count];
        List<int>? selfDeleted = null;
        AsoCaller? caller = null;
        for (var i = 0; i < _record.Live.Count; i++)
        {
            var entry = _record.Live[i];
            if (entry.HidesKey(now))
            {
                items[i] = new ReplicaItem(entry.Version, ObjectKind.Tombstone, ReadOnlyMemory<byte>.Empty, entry.ExpiresAtMs);
                continue;
            }
            if (entry.Kind == ObjectKind.Value)
            {
                items[i] = new ReplicaItem(entry.Version, ObjectKind.Value, entry.Payload, entry.ExpiresAtMs);
                continue;
            }
            var obj = GetObject(entry);
            caller ??= AsoInterop.ToCaller(request.Caller);
            var outcome = await obj.OnGetAsync(caller, ct).ConfigureAwait(false);
            var updated = AfterHandler(entry, obj, outcome.StateChanged, ref selfDeleted, i);
            items[i] = new ReplicaItem(entry.Version, ObjectKind.Aso, AsoInterop.ToJson(outcome.Result), updated.ExpiresAtMs);
        }
        if (selfDeleted is not null) await DeleteSelvesAsync(selfDeleted).ConfigureAwait(false);
        return new ReplicaGetResponse(items);
    }

    internal HistoryResponse History()
    {
        var items = new List<HistoryItem>(_record.Live.Count + _record.History.Count);
        foreach (var e in _record.Live) items.Add(ToHistoryItem(e, live: true));
        foreach (var e in _record.History) items.Add(ToHistoryItem(e, live: false));
        return new HistoryResponse(items);
    }

    /// <summary>The grain timer's tick: every live ASO with a timer runs <c>onTimer</c>.</summary>
    internal async ValueTask<bool> FireTimersAsync(CancellationToken ct)
    {
        List<int>? selfDeleted = null;
        for (var i = 0; i < _record.Live.Count; i++)
        {
            var entry = _record.Live[i];
            if (entry.Kind != ObjectKind.Aso || entry.IsExpired(_rt.NowMs())) continue;
            if (!_objects.TryGetValue(entry.Version.Dot, out var obj) || !obj.HasOnTimer || obj.TimerPeriodSeconds is null) continue;
            try
            {
                var outcome = await obj.OnTimerAsync(ct).ConfigureAwait(false);
                AfterHandler(entry, obj, outcome.StateChanged, ref selfDeleted, i);
            }
            catch (CometException ex)
            {
                LogTimerFailed(_rt.Logger, Key.ToString(), ex.Code, ex.Message);
            }
        }
        if (selfDeleted is not null) await DeleteSelvesAsync(selfDeleted).ConfigureAwait(false);
        await SyncTimerAsync().ConfigureAwait(false);
        return true;
    }

    internal ReplicaInspection Inspect()
    {
        var live = new List<ReplicaVersionInspection>(_record.Live.Count);
        foreach (var e in _record.Live)
        {
            _objects.TryGetValue(e.Version.Dot, out var obj);
            var data = e.Kind == ObjectKind.Aso
                ? (obj is not null ? AsoInterop.ToJson(obj.Data) : AsoInterop.StateJson(e.Payload.Span))
                : e.Payload;
            live.Add(new ReplicaVersionInspection(e.Version.Id, e.Kind, e.WrittenAtMs, e.ExpiresAtMs, e.Code, data, obj?.Stats));
        }
        return new ReplicaInspection(Self, Key.Namespace, Key.Key, live, _record.History.Count, _timerPeriod);
    }

    /// <summary>The live versions with their current data (replica-local ASO state included), for anti-entropy.</summary>
    internal List<VersionEntry> LiveEntries()
    {
        var entries = new List<VersionEntry>(_record.Live.Count);
        foreach (var e in _record.Live)
            entries.Add(e.Kind == ObjectKind.Aso && _objects.TryGetValue(e.Version.Dot, out var obj) ? e with { Payload = obj.EncodeState() } : e);
        return entries;
    }

    internal VersionEntry? LiveAsoEntry(string code)
    {
        foreach (var entry in _record.Live)
            if (entry.Kind == ObjectKind.Aso && entry.Code == code) return entry;
        return null;
    }

    // ---- internals ----

    private async ValueTask LoadAsync(CancellationToken ct)
    {
        _record = await _rt.Store.ReadAsync(Key, Partition, ct).ConfigureAwait(false)
            ?? new ReplicaRecord(Key.Namespace, Key.Key, [], []);
        var now = _rt.NowMs();
        foreach (var entry in _record.Live)
        {
            if (entry.Kind != ObjectKind.Aso || entry.IsExpired(now)) continue;
            try
            {
                _objects[entry.Version.Dot] = _rt.Sandbox.Load(ContextFor(entry.Code!), entry.Code!, entry.Payload.Span, _rt.Neighbours);
            }
            catch (CometException ex)
            {
                // Left unloaded: a get of this version reports the error; other versions still work.
                LogActivationFailed(_rt.Logger, Key.ToString(), entry.Version.Id, ex.Message);
            }
        }
        _loaded = true;
        await SyncTimerAsync().ConfigureAwait(false);
    }

    private AsoObject GetObject(VersionEntry entry)
    {
        if (_objects.TryGetValue(entry.Version.Dot, out var obj)) return obj;
        obj = _rt.Sandbox.Load(ContextFor(entry.Code!), entry.Code!, entry.Payload.Span, _rt.Neighbours);
        _objects[entry.Version.Dot] = obj;
        return obj;
    }

    /// <summary>Records what a handler changed: replica-local state (written soon, not a new version), lifetime, or a deleteSelf.</summary>
    private VersionEntry AfterHandler(VersionEntry entry, AsoObject obj, bool stateChanged, ref List<int>? selfDeleted, int index)
    {
        if (obj.DeleteRequested)
        {
            (selfDeleted ??= []).Add(index);
            return entry;
        }
        var expires = ExpiryFor(obj, entry);
        if (!stateChanged && expires == entry.ExpiresAtMs) return entry;
        var updated = entry with { Payload = stateChanged ? obj.EncodeState() : entry.Payload, ExpiresAtMs = expires };
        _record.Live[index] = updated;
        MarkDirty();
        return updated;
    }

    /// <summary>
    /// <c>comet.deleteSelf()</c>: this replica replaces the version with a tombstone of its own,
    /// which supersedes it, so a later read that meets both knows the object is gone.
    /// </summary>
    private async ValueTask DeleteSelvesAsync(List<int> indexes)
    {
        var live = new List<VersionEntry>(_record.Live.Count);
        var retired = new List<VersionEntry>();
        for (var i = 0; i < _record.Live.Count; i++)
        {
            var entry = _record.Live[i];
            if (!indexes.Contains(i))
            {
                live.Add(entry);
                continue;
            }
            var (counter, _) = ReserveCounter(null);
            var tombstone = new VersionEntry(ObjectVersion.Next(entry.Version.CausalClock, Self, counter), ObjectKind.Tombstone,
                null, ReadOnlyMemory<byte>.Empty, _rt.NowMs(), VersionEntry.NoExpiry, null);
            live.Add(tombstone);
            retired.Add(entry);
            DropObject(entry.Version.Dot);
        }
        var next = new ReplicaRecord(Key.Namespace, Key.Key, live, TrimHistory(retired.Concat(_record.History), live.Count));
        await _rt.Store.WriteAsync(Key, Partition, next, CancellationToken.None).ConfigureAwait(false);
        _record = next;
        IsDirty = false;
    }

    private ReadOnlyMemory<byte> ReadVersionData(VersionEntry entry) => entry.Kind switch
    {
        ObjectKind.Value => entry.Payload,
        ObjectKind.Aso => AsoInterop.StateJson(entry.Payload.Span),
        _ => ReadOnlyMemory<byte>.Empty,
    };

    private ReplicaGetResponse ReadVersion(Dot dot)
    {
        foreach (var entry in _record.Live.Concat(_record.History))
        {
            if (entry.Version.Dot != dot) continue;
            if (entry.PayloadDropped)
                throw new CometException(CometErrorCode.NotFound, $"Version {dot} is in the history, but its data is no longer kept.");
            return new ReplicaGetResponse([new ReplicaItem(entry.Version, entry.Kind, ReadVersionData(entry), entry.ExpiresAtMs)]);
        }
        return new ReplicaGetResponse([]);
    }

    private HistoryItem ToHistoryItem(VersionEntry e, bool live) =>
        new(e.Version.Id, e.Kind, live && !e.IsExpired(_rt.NowMs()), e.WrittenAtMs, e.ExpiresAtMs, e.Code,
            e.PayloadDropped || e.Kind == ObjectKind.Tombstone ? null : ReadVersionData(e));

    /// <summary>Keeps at most V versions in all and at most the history byte budget of data.</summary>
    private List<VersionEntry> TrimHistory(IEnumerable<VersionEntry> history, int liveCount)
    {
        var max = Math.Max(0, _rt.Options.HistoryDepth - liveCount);
        var budget = (long)_rt.Options.HistoryBudgetBytes;
        var kept = new List<VersionEntry>(max);
        foreach (var entry in history)
        {
            if (kept.Count >= max) break;
            if (entry.PayloadDropped || entry.Payload.Length <= budget)
            {
                budget -= entry.Payload.Length;
                kept.Add(entry);
            }
            else
            {
                kept.Add(entry with { Payload = ReadOnlyMemory<byte>.Empty, PayloadDropped = true });
            }
        }
        return kept;
    }

    /// <summary>An ASO may set its own lifetime (<c>aso.ttl</c>, seconds from the write) within the namespace's maximum.</summary>
    private long ExpiryFor(AsoObject obj, VersionEntry entry)
    {
        if (obj.TtlSeconds is not { } ttl) return entry.ExpiresAtMs;
        var max = _rt.Options.Namespaces.TryGetValue(Key.Namespace, out var ns) ? ns.MaxTtl : TimeSpan.Zero;
        var seconds = ttl <= 0 ? (max > TimeSpan.Zero ? max.TotalSeconds : 0) : ttl;
        if (max > TimeSpan.Zero) seconds = Math.Min(seconds, max.TotalSeconds);
        return seconds <= 0 ? VersionEntry.NoExpiry : entry.WrittenAtMs + (long)(seconds * 1000);
    }

    private AsoContext ContextFor(string code) => new(Key.Namespace, Key.Key, Self, _rt.Options.Host, code);

    private void MarkDirty()
    {
        if (IsDirty) return;
        IsDirty = true;
        _rt.DirtyGrains.Enqueue(this);
    }

    private async ValueTask FlushCoreAsync()
    {
        if (!IsDirty || !_loaded) return;
        await _rt.Store.WriteAsync(Key, Partition, _record, CancellationToken.None).ConfigureAwait(false);
        IsDirty = false;
    }

    private void DropObject(Dot dot)
    {
        if (_objects.Remove(dot, out var obj)) obj.Dispose();
    }

    private void DeactivateCore()
    {
        IsDeactivated = true;
        _timer?.Dispose();
        _timer = null;
        foreach (var obj in _objects.Values) obj.Dispose();
        _objects.Clear();
    }

    private async ValueTask SyncTimerAsync()
    {
        double? period = null;
        var now = _rt.NowMs();
        foreach (var entry in _record.Live)
        {
            if (entry.Kind != ObjectKind.Aso || entry.IsExpired(now)) continue;
            if (!_objects.TryGetValue(entry.Version.Dot, out var obj) || !obj.HasOnTimer || obj.TimerPeriodSeconds is not { } p) continue;
            period = period is null ? p : Math.Min(period.Value, p);
        }
        if (period != _timerPeriod)
        {
            _timer?.Dispose();
            _timer = null;
            _timerPeriod = period;
            if (period is { } seconds)
            {
                var interval = TimeSpan.FromSeconds(seconds);
                _timer = _rt.Time.CreateTimer(static state => ((KeyGrain)state!).OnTimerTick(), this, interval, interval);
            }
        }
        var armed = period is not null;
        if (armed != _timerRegistered)
        {
            await _rt.Timers.SetAsync(Key, armed, CancellationToken.None).ConfigureAwait(false);
            _timerRegistered = armed;
        }
    }

    private void OnTimerTick()
    {
        if (IsDeactivated) return;
        _ = TickAsync();

        async Task TickAsync()
        {
            try
            {
                await RunAsync(static (grain, _, ct) => grain.FireTimersAsync(ct), 0, CancellationToken.None).ConfigureAwait(false);
            }
            catch (GrainDeactivatedException)
            {
            }
#pragma warning disable CA1031 // a timer tick must never take the silo down
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogTimerFailed(_rt.Logger, Key.ToString(), CometErrorCode.Internal, ex.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Key}: onTimer failed with {Code}: {Message}")]
    private static partial void LogTimerFailed(ILogger logger, string key, CometErrorCode code, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Key}: version {Version} could not be activated: {Message}")]
    private static partial void LogActivationFailed(ILogger logger, string key, string version, string message);
}
