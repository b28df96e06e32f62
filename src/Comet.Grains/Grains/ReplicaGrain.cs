using Comet.Abstractions.Errors;
using Comet.Abstractions.Keys;
using Comet.Abstractions.Protocol;
using Comet.Abstractions.Versions;
using Comet.Sandbox;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Storage;

namespace Comet.Grains;

/// <summary>
/// One replica of one key: the versioned record (persisted through grain storage before any
/// write is acknowledged) and one sandboxed Lua state per live ASO version. Orleans runs it
/// one turn at a time, activates it on demand on the silo the ring names
/// (<see cref="RingPlacementDirector"/>), collects it when idle, and drives <c>onTimer</c> with
/// a grain timer; a reminder brings back objects whose timers must survive restarts. Every
/// replica runs its own handlers (Comet's per-replica semantics), so a get counter counts per replica.
/// </summary>
[RingPlacement]
public sealed partial class ReplicaGrain : Grain, IReplicaGrain, IRemindable
{
    /// <summary>The name of the replica's persistent state in grain storage.</summary>
    public const string StateName = "replica";

    private const string TimerReminder = "aso-timer";

    private readonly IPersistentState<ReplicaState> _state;
    private readonly AsoRuntime _sandbox;
    private readonly CometGridOptions _options;
    private readonly RingView _ring;
    private readonly ILocalSiloDetails _silo;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IGrainFactory _grains;
    private readonly Dictionary<Dot, AsoObject> _objects = [];
    private ReplicaRecord _record = null!;
    private ObjectKey _key;
    private int _replica;
    private string _node = "";
    private IGrainTimer? _timer;
    private double? _timerPeriod;
    private IGrainTimer? _flushTimer;
    private bool _dirty;
    private MembershipVersion _placementCheckedAt;
    private string? _home;
    private long _migrationAskedAtMs;
    private const long MigrationRetryMs = 1000;
    private AsoNeighbours? _neighbours;
    private long[]? _incomingCalls;
    private int _incomingNext;
    private int _incomingCount;

    /// <summary>The object's replication degree, kept beside the persisted state: handlers resume off the activation's turn, where the state may not be read.</summary>
    private volatile int _replicas;

    public ReplicaGrain(
        [PersistentState(StateName, CometStorage.Replicas)] IPersistentState<ReplicaState> state,
        AsoRuntime sandbox,
        IOptions<CometGridOptions> options,
        RingView ring,
        ILocalSiloDetails silo,
        TimeProvider time,
        IGrainFactory grains,
        ILogger<ReplicaGrain> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _state = state;
        _sandbox = sandbox;
        _options = options.Value;
        _ring = ring;
        _silo = silo;
        _time = time;
        _grains = grains;
        _logger = logger;
    }

    /// <summary>This replica's name in version dots: its place on the key's walk, the same wherever the grain lives.</summary>
    private string Node => _node;

    private string SiloName => _silo.Name;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var (ns, key, replica) = ReplicaGrainKey.Parse(this.GetPrimaryKeyString());
        _key = ObjectKey.Create(ns, key, _options.Limits);
        _replica = replica;
        _node = "r" + replica.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _record = _state.State.Record is { Length: > 0 } bytes ? ReplicaRecord.Decode(bytes) : new ReplicaRecord(ns, key, [], []);
        _placementCheckedAt = _ring.Current.Version;
        _home = _ring.Current.SiloFor(_key.Hash, _replica);
        _replicas = _state.State.Replicas;
        var now = NowMs();
        foreach (var entry in _record.Live)
        {
            if (entry.Kind != ObjectKind.Aso || entry.IsExpired(now)) continue;
            try
            {
                _objects[entry.Version.Dot] = Load(entry);
            }
            catch (CometException ex)
            {
                // Left unloaded: a get of this version reports the error; other versions still work.
                LogActivationFailed(_logger, _key.ToString(), entry.Version.Id, ex.Message);
            }
        }
        await SyncTimerAsync().ConfigureAwait(true);
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        try
        {
            if (_dirty) await PersistAsync(_record).ConfigureAwait(true);
        }
        finally
        {
            foreach (var obj in _objects.Values) obj.Dispose();
            _objects.Clear();
        }
    }

    // ---- the protocol steps ----

    public async Task<CoordinatedWrite> CoordinateAsync(NewWrite write)
    {
        ArgumentNullException.ThrowIfNull(write);
        CheckPlacement();
        var now = NowMs();
        var created = _record.Live.Count == 0 || _record.Live.TrueForAll(e => e.HidesKey(now));
        // The replication degree is part of the object: chosen by its first put, kept by later ones.
        var replicas = write.Replicas;
        if (!created && _state.State.Replicas > 0)
        {
            if (write.ReplicasChosen && write.Replicas != _state.State.Replicas)
                throw new CometException(CometErrorCode.BadRequest,
                    $"'{_key.Key}' keeps n={_state.State.Replicas}, chosen at its first put; a put cannot change it to n={write.Replicas}. Delete the key first, or leave n out.");
            replicas = _state.State.Replicas;
        }
        // The dot is this replica's own next counter; the record persisted below carries it, so
        // a counter is never handed out twice, even across crashes and re-activations elsewhere.
        var counter = Math.Max(_record.MaxCounterOf(Node), write.Context?[Node] ?? 0) + 1;
        var version = ObjectVersion.Next(write.Context ?? _record.CausalClock(), Node, counter);
        var entry = new VersionEntry(version, write.Kind, write.Code, write.Payload, now, write.ExpiresAtMs, write.Caller.Id);
        var (_, stored, absorbed) = await ApplyCoreAsync(new ReplicaPut(entry, PutMode.Client, write.Caller, replicas)).ConfigureAwait(true);
        return new CoordinatedWrite(absorbed ? stored! : entry, created, replicas, absorbed);
    }

    public async Task<ReplicaPutStatus> ApplyAsync(ReplicaPut put)
    {
        ArgumentNullException.ThrowIfNull(put);
        CheckPlacement();
        if (put.Mode == PutMode.Neighbour) AdmitNeighbourCall();
        return (await ApplyCoreAsync(put).ConfigureAwait(true)).Status;
    }

    /// <summary>Applies a version; answers what was stored, and whether an object absorbed it (onUpdate said "keep").</summary>
    private async Task<(ReplicaPutStatus Status, VersionEntry? Stored, bool Absorbed)> ApplyCoreAsync(ReplicaPut request)
    {
        var incoming = request.Entry;
        var now = NowMs();
        var sameVersion = request.Mode == PutMode.Neighbour;
        if (!sameVersion && _record.Knows(incoming.Version.Dot)) return (ReplicaPutStatus.AlreadyKnown, null, false);
        foreach (var live in _record.Live)
            if (live.Version.Supersedes(incoming.Version)) return (ReplicaPutStatus.Obsolete, null, false);

        var superseded = new List<VersionEntry>();
        foreach (var live in _record.Live)
            if (incoming.Version.Supersedes(live.Version) || (sameVersion && live.Version.Dot == incoming.Version.Dot)) superseded.Add(live);

        AsoObject? fresh = null;
        VersionEntry? keeper = null;
        try
        {
            if (incoming.Kind == ObjectKind.Aso) fresh = Load(incoming);
            if (request.Mode != PutMode.Repair)
            {
                var caller = AsoInterop.ToCaller(request.Caller);
                var incomingData = fresh?.Data ?? (incoming.Kind == ObjectKind.Value ? AsoInterop.ValueTable(incoming.Payload.Span) : AsoInterop.TombstoneTable);
                foreach (var old in superseded)
                {
                    if (old.Kind != ObjectKind.Aso || old.IsExpired(now)) continue;
                    var outcome = await GetObject(old).OnUpdateAsync(caller, incomingData).ConfigureAwait(true);
                    if (outcome.Keep && keeper is null) keeper = old;
                }
                if (fresh is not null && keeper is null) await fresh.OnPutAsync(caller).ConfigureAwait(true);
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
            var retired = superseded.Where(s => s.Version.Dot != stored.Version.Dot).OrderByDescending(s => s.WrittenAtMs)
                .Select(s => VersionHistory.Retire(s, stored, now));
            var next = new ReplicaRecord(_key.Namespace, _key.Key, live, VersionHistory.Trim(retired.Concat(_record.History), live.Count, _options));
            if (request.Replicas > _state.State.Replicas || (_record.IsEmpty && request.Replicas > 0))
            {
                // The partition's key index learns the key before its first version is stored, so anti-entropy can find it.
                await GrainFactory.GetGrain<IKeyIndexGrain>(_ring.Current.Ring.PartitionOf(_key.Hash))
                    .AddAsync(new IndexedKey(_key.Namespace, _key.Key, request.Replicas)).ConfigureAwait(true);
            }
            if (request.Replicas > 0)
            {
                // The object's n as its coordinator decided it (the first put's, or a re-creation's after a delete).
                _state.State.Replicas = request.Replicas;
                _replicas = request.Replicas;
            }
            await PersistAsync(next).ConfigureAwait(true);
            foreach (var old in superseded) DropObject(old.Version.Dot);
            if (fresh is not null)
            {
                _objects[stored.Version.Dot] = fresh;
                fresh = null;
            }
            await SyncTimerAsync().ConfigureAwait(true);
            return (ReplicaPutStatus.Applied, stored, keeper is not null);
        }
        finally
        {
            fresh?.Dispose();
        }
    }

    public async Task<ReplicaReadResult> ReadAsync(ReplicaRead read)
    {
        ArgumentNullException.ThrowIfNull(read);
        CheckPlacement();
        // Clients' reads come through a coordinator with no node; a read with a node is another replica's comet.get.
        if (read.Caller.Node is not null) AdmitNeighbourCall();
        if (read.Version is not null) return await ReadVersionAsync(Dot.Parse(read.Version), read.Caller).ConfigureAwait(true);
        var now = NowMs();
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
            caller ??= AsoInterop.ToCaller(read.Caller);
            var outcome = await obj.OnGetAsync(caller).ConfigureAwait(true);
            var updated = AfterHandler(entry, obj, outcome.StateChanged, ref selfDeleted, i);
            items[i] = new ReplicaItem(entry.Version, ObjectKind.Aso, AsoInterop.ToJson(outcome.Result), updated.ExpiresAtMs);
        }
        var deleted = selfDeleted is null ? null : await DeleteSelvesAsync(selfDeleted).ConfigureAwait(true);
        return new ReplicaReadResult(items, _state.State.Replicas, deleted);
    }

    public Task<ReplicaEntries> FetchAsync()
    {
        CheckPlacement();
        var entries = new List<VersionEntry>(_record.Live.Count);
        foreach (var e in _record.Live)
            entries.Add(e.Kind == ObjectKind.Aso && _objects.TryGetValue(e.Version.Dot, out var obj) ? e with { Payload = obj.EncodeState() } : e);
        return Task.FromResult(new ReplicaEntries(entries, _state.State.Replicas));
    }

    public Task<HistoryResult> HistoryAsync()
    {
        CheckPlacement();
        var now = NowMs();
        var items = new List<HistoryItem>(_record.Live.Count + _record.History.Count);
        foreach (var e in _record.Live) items.Add(VersionHistory.Describe(e, live: !e.IsExpired(now)));
        foreach (var e in _record.History) items.Add(VersionHistory.Describe(e, live: false));
        return Task.FromResult(new HistoryResult(items));
    }

    public Task<ReplicaInspection> InspectAsync()
    {
        CheckPlacement();
        var live = new List<ReplicaVersionInspection>(_record.Live.Count);
        foreach (var e in _record.Live)
        {
            _objects.TryGetValue(e.Version.Dot, out var obj);
            var data = e.Kind == ObjectKind.Aso
                ? (obj is not null ? AsoInterop.ToJson(obj.Data) : AsoInterop.StateJson(e.Payload.Span))
                : e.Payload;
            var stats = obj?.Stats;
            live.Add(new ReplicaVersionInspection(e.Version.Id, e.Kind, e.WrittenAtMs, e.ExpiresAtMs, e.Code, data,
                stats?.Calls ?? 0, stats?.Failures ?? 0, stats?.HeapBytes ?? 0));
        }
        return Task.FromResult(new ReplicaInspection(SiloName, _replica, _key.Namespace, _key.Key, live, _record.History.Count, _timerPeriod));
    }

    public async Task<bool> CollectAsync(long hiddenBeforeMs)
    {
        var now = NowMs();
        foreach (var entry in _record.Live)
            if (!entry.HidesKey(now) || VersionHistory.HiddenSince(entry) > hiddenBeforeMs) return false;
        if (_state.State.HasTimerReminder && await this.GetReminder(TimerReminder).ConfigureAwait(true) is { } reminder)
            await this.UnregisterReminder(reminder).ConfigureAwait(true);
        _timer?.Dispose();
        _timer = null;
        _timerPeriod = null;
        foreach (var obj in _objects.Values) obj.Dispose();
        _objects.Clear();
        await _state.ClearStateAsync().ConfigureAwait(true);
        _state.State = new ReplicaState();
        _record = new ReplicaRecord(_key.Namespace, _key.Key, [], []);
        _replicas = 0;
        _dirty = false;
        DeactivateOnIdle();
        return true;
    }

    /// <summary>The reminder only brings the grain back after a restart; activation re-arms the grain timer.</summary>
    public Task ReceiveReminder(string reminderName, TickStatus status) => Task.CompletedTask;

    // ---- internals ----

    /// <summary>The receiving side of the neighbour-call limit: a sliding one-second window over this replica's incoming calls.</summary>
    private void AdmitNeighbourCall()
    {
        var limit = _options.MaxIncomingNeighbourCallsPerSecond;
        var window = _incomingCalls ??= new long[limit];
        var now = NowMs();
        if (_incomingCount == window.Length && now - window[_incomingNext] < 1000)
            throw new CometException(CometErrorCode.RateLimited,
                $"Replica {_replica} of '{_key.Key}' takes at most {limit} neighbour calls per second; this call came too soon.");
        window[_incomingNext] = now;
        _incomingNext = (_incomingNext + 1) % window.Length;
        if (_incomingCount < window.Length) _incomingCount++;
    }

    /// <summary>
    /// <c>get(key, version)</c>: a passive version's bytes, or that ASO version's own <c>onGet</c>
    /// run on a copy of its state (what the handler changes is thrown away: the version is history).
    /// </summary>
    private async Task<ReplicaReadResult> ReadVersionAsync(Dot dot, CallerInfo callerInfo)
    {
        foreach (var entry in _record.Live.Concat(_record.History))
        {
            if (entry.Version.Dot != dot) continue;
            if (entry.PayloadDropped)
                throw new CometException(CometErrorCode.NotFound, $"Version {dot} is in the history, but its data is no longer kept.");
            if (entry.IsExpired(NowMs()))
                throw new CometException(CometErrorCode.NotFound, $"Version {dot} has expired; its data is gone.");
            if (entry.Kind == ObjectKind.Tombstone)
                throw new CometException(CometErrorCode.NotFound, $"Version {dot} is a deletion; it has no data.");
            if (entry.Kind != ObjectKind.Aso)
                return new ReplicaReadResult([new ReplicaItem(entry.Version, entry.Kind, entry.Payload, entry.ExpiresAtMs)]);
            using var obj = _sandbox.Load(ContextFor(entry.Code!), entry.Code!, entry.Payload.Span, Neighbours);
            var outcome = await obj.OnGetAsync(AsoInterop.ToCaller(callerInfo)).ConfigureAwait(true);
            return new ReplicaReadResult([new ReplicaItem(entry.Version, ObjectKind.Aso, AsoInterop.ToJson(outcome.Result), entry.ExpiresAtMs)]);
        }
        return new ReplicaReadResult([]);
    }

    private AsoObject Load(VersionEntry entry) => _sandbox.Load(ContextFor(entry.Code!), entry.Code!, entry.Payload.Span, Neighbours);

    private AsoObject GetObject(VersionEntry entry)
    {
        if (_objects.TryGetValue(entry.Version.Dot, out var obj)) return obj;
        obj = Load(entry);
        _objects[entry.Version.Dot] = obj;
        return obj;
    }

    private AsoNeighbours Neighbours => _neighbours ??= new AsoNeighbours(this);

    private AsoContext ContextFor(string code) => new(_key.Namespace, _key.Key, SiloName, _silo.SiloAddress.Endpoint.Address.ToString(), code);

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
    private async Task<List<VersionEntry>> DeleteSelvesAsync(List<int> indexes)
    {
        var live = new List<VersionEntry>(_record.Live.Count);
        var retired = new List<VersionEntry>();
        var tombstones = new List<VersionEntry>(indexes.Count);
        var counter = _record.MaxCounterOf(Node);
        for (var i = 0; i < _record.Live.Count; i++)
        {
            var entry = _record.Live[i];
            if (!indexes.Contains(i))
            {
                live.Add(entry);
                continue;
            }
            var tombstone = new VersionEntry(ObjectVersion.Next(entry.Version.CausalClock, Node, ++counter), ObjectKind.Tombstone,
                null, ReadOnlyMemory<byte>.Empty, NowMs(), VersionEntry.NoExpiry, null);
            live.Add(tombstone);
            tombstones.Add(tombstone);
            retired.Add(VersionHistory.Retire(entry, tombstone, NowMs()));
            DropObject(entry.Version.Dot);
        }
        await PersistAsync(new ReplicaRecord(_key.Namespace, _key.Key, live, VersionHistory.Trim(retired.Concat(_record.History), live.Count, _options))).ConfigureAwait(true);
        return tombstones;
    }

    /// <summary>
    /// An object that deleted itself on its timer is gone from its other replicas too: the tombstones are sent to
    /// them without waiting (a replica does not wait on another replica of its key), and anti-entropy copies them
    /// to any replica that was unreachable.
    /// </summary>
    private void SpreadDeletions(List<VersionEntry> tombstones)
    {
        var n = _replicas;
        foreach (var tombstone in tombstones)
        {
            var put = new ReplicaPut(tombstone, PutMode.Repair, CallerInfo.Internal(SiloName), n);
            for (var r = 0; r < n; r++)
            {
                if (r == _replica) continue;
                _ = _grains.GetGrain<IReplicaGrain>(ReplicaGrainKey.Format(_key.Namespace, _key.Key, r)).ApplyAsync(put)
                    .ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            }
        }
    }

    /// <summary>An ASO may set its own lifetime (<c>aso.ttl</c>, seconds from the write) within the namespace's maximum.</summary>
    private long ExpiryFor(AsoObject obj, VersionEntry entry)
    {
        if (obj.TtlSeconds is not { } ttl) return entry.ExpiresAtMs;
        var max = _options.Namespaces.TryGetValue(_key.Namespace, out var ns) ? ns.MaxTtl : TimeSpan.Zero;
        var seconds = ttl <= 0 ? (max > TimeSpan.Zero ? max.TotalSeconds : 0) : ttl;
        if (max > TimeSpan.Zero) seconds = Math.Min(seconds, max.TotalSeconds);
        return seconds <= 0 ? VersionEntry.NoExpiry : entry.WrittenAtMs + (long)(seconds * 1000);
    }

    /// <summary>
    /// Writes the record through grain storage; the write is conditional on the ETag, so a
    /// second activation of this replica (a view in flux) cannot overwrite what the first wrote.
    /// </summary>
    private async Task PersistAsync(ReplicaRecord next)
    {
        _state.State.Record = next.Encode();
        try
        {
            await _state.WriteStateAsync().ConfigureAwait(true);
        }
        catch (InconsistentStateException ex)
        {
            // Another activation wrote first: this one's view is stale. Start over from storage.
            DeactivateOnIdle();
            throw new CometException(CometErrorCode.Conflict, $"The replica of '{_key.Key}' changed elsewhere while this write was applied; retry.", ex);
        }
        _record = next;
        _dirty = false;
    }

    private void MarkDirty()
    {
        if (_dirty) return;
        _dirty = true;
        _flushTimer ??= this.RegisterGrainTimer(static async (grain, _) =>
        {
            grain._flushTimer?.Dispose();
            grain._flushTimer = null;
            if (grain._dirty) await grain.PersistAsync(grain._record).ConfigureAwait(true);
        }, this, new GrainTimerCreationOptions { DueTime = _options.StateFlushDelay, Period = Timeout.InfiniteTimeSpan, KeepAlive = true });
    }

    private void DropObject(Dot dot)
    {
        if (_objects.Remove(dot, out var obj)) obj.Dispose();
    }

    /// <summary>
    /// After a membership change, a replica that is no longer where the ring puts it (its silo
    /// came back, or a new silo took its partition) moves there once idle; Orleans asks the
    /// placement director where.
    /// </summary>
    private void CheckPlacement()
    {
        var snapshot = _ring.Current;
        if (snapshot.Version != _placementCheckedAt)
        {
            _placementCheckedAt = snapshot.Version;
            _home = snapshot.SiloFor(_key.Hash, _replica);
        }
        if (_home is null || _home == SiloName || !snapshot.Addresses.ContainsKey(_home)) return;
        // The new silo may not be a placement target yet (its grain types not yet known cluster-wide):
        // ask again a little later rather than once per membership change.
        var now = NowMs();
        if (now - _migrationAskedAtMs < MigrationRetryMs) return;
        _migrationAskedAtMs = now;
        this.MigrateOnIdle();
    }

    /// <summary>The grain timer's tick: every live ASO with a timer runs <c>onTimer</c>.</summary>
    private async Task FireTimersAsync()
    {
        CheckPlacement();
        List<int>? selfDeleted = null;
        for (var i = 0; i < _record.Live.Count; i++)
        {
            var entry = _record.Live[i];
            if (entry.Kind != ObjectKind.Aso || entry.IsExpired(NowMs())) continue;
            if (!_objects.TryGetValue(entry.Version.Dot, out var obj) || !obj.HasOnTimer || obj.TimerPeriodSeconds is null) continue;
            // The silo's timer budget (Timers/TimerBudget.cs): a refused call waits for the next period.
            var budget = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Timers.TimerBudget>(ServiceProvider);
            var objectId = $"{_key}#{_replica}";
            if (!budget.TryStart(_key.Namespace, objectId)) continue;
            var started = _time.GetTimestamp();
            var failed = true;
            try
            {
                var outcome = await obj.OnTimerAsync().ConfigureAwait(true);
                failed = false;
                AfterHandler(entry, obj, outcome.StateChanged, ref selfDeleted, i);
            }
            catch (CometException ex)
            {
                LogTimerFailed(_logger, _key.ToString(), ex.Code, ex.Message);
            }
            finally
            {
                budget.Finish(_key.Namespace, objectId, _time.GetElapsedTime(started), failed);
            }
        }
        if (selfDeleted is not null) SpreadDeletions(await DeleteSelvesAsync(selfDeleted).ConfigureAwait(true));
        await SyncTimerAsync().ConfigureAwait(true);
    }

    private async Task SyncTimerAsync()
    {
        double? period = null;
        var now = NowMs();
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
                _timer = this.RegisterGrainTimer(static (grain, _) => grain.FireTimersAsync(), this,
                    new GrainTimerCreationOptions { DueTime = interval, Period = interval, KeepAlive = true });
            }
        }
        var armed = period is not null;
        if (armed == _state.State.HasTimerReminder) return;
        try
        {
            if (armed)
            {
                await this.RegisterOrUpdateReminder(TimerReminder, _options.TimerReminderPeriod, _options.TimerReminderPeriod).ConfigureAwait(true);
            }
            else if (await this.GetReminder(TimerReminder).ConfigureAwait(true) is { } reminder)
            {
                await this.UnregisterReminder(reminder).ConfigureAwait(true);
            }
            _state.State.HasTimerReminder = armed;
            MarkDirty();
        }
        catch (Exception ex) when (ex is OrleansException or InvalidOperationException)
        {
            // Without a reminder service the timer still runs while the grain is active.
            LogReminderUnavailable(_logger, _key.ToString(), ex.Message);
        }
    }

    private long NowMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Key}: onTimer failed with {Code}: {Message}")]
    private static partial void LogTimerFailed(ILogger logger, string key, CometErrorCode code, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Key}: version {Version} could not be activated: {Message}")]
    private static partial void LogActivationFailed(ILogger logger, string key, string version, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Key}: its timer will not survive a restart (no reminder service: {Message})")]
    private static partial void LogReminderUnavailable(ILogger logger, string key, string message);
}
