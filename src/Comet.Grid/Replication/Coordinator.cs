using Comet.Abstractions.Options;
using System.Text.Json;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Keys;
using Comet.Abstractions.Protocol;
using Comet.Abstractions.Versions;
using Comet.Grid.Grains;
using Comet.Grid.Hosting;
using Comet.Grid.Membership;
using Comet.Grid.Messaging;
using Comet.Sandbox;

namespace Comet.Grid.Replication;

/// <summary>
/// Dynamo's coordinator: gives a put its version, sends it to the key's N replicas and answers
/// after W acknowledgements; asks R replicas for a get and answers with the newest version, or
/// every concurrent version (siblings).
/// </summary>
public sealed class Coordinator
{
    private readonly SiloOptions _options;
    private readonly Func<MembershipView> _view;
    private readonly IReplicaClient _replicas;
    private readonly Catalog _catalog;
    private readonly AsoSandboxOptions _sandbox;
    private readonly TimeProvider _time;

    public Coordinator(SiloOptions options, Func<MembershipView> view, IReplicaClient replicas, Catalog catalog, AsoSandboxOptions sandbox, TimeProvider time)
    {
        _options = options;
        _view = view;
        _replicas = replicas;
        _catalog = catalog;
        _sandbox = sandbox;
        _time = time;
    }

    private string Self => _options.SiloId;

    /// <summary>The namespace's settings, or <see cref="CometErrorCode.UnknownNamespace"/>.</summary>
    public NamespaceOptions Namespace(string ns) =>
        _options.Namespaces.TryGetValue(ns, out var options)
            ? options
            : throw new CometException(CometErrorCode.UnknownNamespace, $"Namespace '{ns}' does not exist; the operator configures namespaces.");

    /// <summary>
    /// The silo that should coordinate this key: this silo when it is in the preference list,
    /// else the first silo of the list (the SDK sends there directly; gateways forward).
    /// </summary>
    /// <remarks>Takes a key already validated and hashed: hashing is SHA-256, so it is done once per request.</remarks>
    public string CoordinatorFor(ObjectKey objectKey, QuorumOptions quorum)
    {
        var plan = QuorumPlan.Resolve(Namespace(objectKey.Namespace), quorum);
        var pref = _view().Ring.PreferenceList(objectKey.Hash, plan.N);
        if (pref.Length == 0 || Array.IndexOf(pref, Self) >= 0) return Self;
        return pref[0];
    }

    public async ValueTask<PutResponse> PutAsync(PutRequest request, CallerInfo caller, CancellationToken ct, ObjectKey? knownKey = null)
    {
        var ns = Namespace(request.Namespace);
        var key = knownKey ?? ObjectKey.Create(request.Namespace, request.Key, _options.Limits);
        var plan = QuorumPlan.Resolve(ns, request.Quorum);
        ValidateArgs(request.ArgsJson);
        if (request.Kind == ObjectKind.Aso)
        {
            if (request.Code is null)
                throw new CometException(CometErrorCode.BadCode, "An ASO put needs Lua source code.");
            if (System.Text.Encoding.UTF8.GetByteCount(request.Code) > _options.Limits.MaxCodeBytes)
                throw new CometException(CometErrorCode.TooLarge, $"The ASO code is larger than {_options.Limits.MaxCodeBytes} bytes.");
            AsoRuntime.ValidateCode(request.Code, _sandbox);
        }
        else if (request.Value.Length > _options.Limits.MaxValueBytes)
        {
            throw new CometException(CometErrorCode.TooLarge, $"The value is {request.Value.Length} bytes; the limit is {_options.Limits.MaxValueBytes}.");
        }
        var expiresAt = ExpiryOf(ns, request.TtlSeconds);
        var context = request.Context is null ? null : VectorClock.FromToken(request.Context);
        return await WriteAsync(key, plan, request.Kind, request.Kind == ObjectKind.Aso ? request.Code : null,
            request.Kind == ObjectKind.Aso ? ReadOnlyMemory<byte>.Empty : request.Value, expiresAt, context, caller with { ArgsJson = request.ArgsJson }, ct).ConfigureAwait(false);
    }

    public async ValueTask<PutResponse> DeleteAsync(DeleteRequest request, CallerInfo caller, CancellationToken ct, ObjectKey? knownKey = null)
    {
        var key = knownKey ?? ObjectKey.Create(request.Namespace, request.Key, _options.Limits);
        var plan = QuorumPlan.Resolve(Namespace(request.Namespace), request.Quorum);
        ValidateArgs(request.ArgsJson);
        var context = request.Context is null ? null : VectorClock.FromToken(request.Context);
        return await WriteAsync(key, plan, ObjectKind.Tombstone, null, ReadOnlyMemory<byte>.Empty, VersionEntry.NoExpiry, context,
            caller with { ArgsJson = request.ArgsJson }, ct).ConfigureAwait(false);
    }

    private async ValueTask<PutResponse> WriteAsync(ObjectKey key, QuorumPlan plan, ObjectKind kind, string? code, ReadOnlyMemory<byte> payload,
        long expiresAt, VectorClock? context, CallerInfo caller, CancellationToken ct)
    {
        var ring = _view().Ring;
        var pref = ring.PreferenceList(key.Hash, plan.N);
        if (pref.Length < plan.W)
            throw new CometException(CometErrorCode.QuorumNotReached, $"Only {pref.Length} silos are live; this write needs w={plan.W}.");

        // The dot must be unique for this coordinator and key: the local activation hands out counters.
        var (counter, localClock) = await _catalog.ReserveCounterAsync(key, Self, context, ct).ConfigureAwait(false);
        var version = ObjectVersion.Next(context ?? localClock, Self, counter);
        var created = version.Context.Entries.Count == 0;
        var entry = new VersionEntry(version, kind, code, payload, NowMs(), expiresAt, caller.Id);
        var message = new ReplicaPutRequest(key.Namespace, key.Key, entry, PutMode.Client, caller);

        var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.ReplicaTimeout);
        var pending = new List<Task<ReplicaPutStatus>>(pref.Length);
        var fallbacks = new Fallbacks(ring, key.Hash, pref.Length, _options.Spares);
        foreach (var silo in pref) pending.Add(PutOrHintAsync(silo, key, message, fallbacks, timeout.Token));

        var acks = 0;
        var failures = new List<CometException>();
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending).ConfigureAwait(false);
            pending.Remove(done);
            try
            {
                await done.ConfigureAwait(false);
                if (++acks >= plan.W) break;
            }
            catch (Exception ex) when (ex is CometException or OperationCanceledException)
            {
                failures.Add(AsComet(ex));
                if (acks + pending.Count < plan.W) break;
            }
        }
        ObserveRemaining(pending, timeout);
        if (acks < plan.W) throw QuorumFailure(failures, acks, plan.W, "write");
        return new PutResponse(version.Id, version.CausalClock.ToToken(), acks, created);
    }

    /// <summary>
    /// Sends the put to one replica; when that silo cannot be reached (it crashed and is not yet
    /// declared dead), stores it as a hint on the next silo past the preference list instead
    /// (Dynamo's sloppy quorum) — the hint counts toward W and is handed off when the silo returns.
    /// </summary>
    private async Task<ReplicaPutStatus> PutOrHintAsync(string silo, ObjectKey key, ReplicaPutRequest message, Fallbacks fallbacks, CancellationToken ct)
    {
        try
        {
            return await _replicas.PutAsync(silo, key, message, ct).ConfigureAwait(false);
        }
        catch (CometException ex) when (ex.Code is CometErrorCode.Unavailable or CometErrorCode.Timeout && !ct.IsCancellationRequested)
        {
            while (fallbacks.Next() is { } fallback)
            {
                try
                {
                    await _replicas.StoreHintAsync(fallback, silo, message, ct).ConfigureAwait(false);
                    Interlocked.Increment(ref _hintedWrites);
                    return ReplicaPutStatus.Applied;
                }
                catch (CometException) when (!ct.IsCancellationRequested)
                {
                    // That fallback is down too: try the next one.
                }
            }
            throw;
        }
    }

    /// <summary>
    /// Silos past the preference list (from the same ring), each handed to at most one unreachable
    /// replica; the walk is made only when a replica first fails, not on every write.
    /// </summary>
    private sealed class Fallbacks(Abstractions.Ring.HashRing ring, ulong keyHash, int preferenceCount, int spares)
    {
        private readonly Lock _lock = new();
        private Queue<string>? _silos;

        public string? Next()
        {
            lock (_lock)
            {
                _silos ??= new Queue<string>(ring.PreferenceList(keyHash, preferenceCount + spares).Skip(preferenceCount));
                return _silos.TryDequeue(out var silo) ? silo : null;
            }
        }
    }

    private long _hintedWrites;

    /// <summary>Replica puts this coordinator stored as hints on a fallback silo.</summary>
    public long HintedWrites => Interlocked.Read(ref _hintedWrites);

    public async ValueTask<GetResponse> GetAsync(GetRequest request, CallerInfo caller, CancellationToken ct, ObjectKey? knownKey = null)
    {
        var ns = Namespace(request.Namespace);
        var key = knownKey ?? ObjectKey.Create(request.Namespace, request.Key, _options.Limits);
        var plan = QuorumPlan.Resolve(ns, request.Quorum);
        ValidateArgs(request.ArgsJson);
        if (request.Version is not null) Dot.Parse(request.Version);
        var pref = OrderedForRead(_view().Ring.PreferenceList(key.Hash, plan.N));
        var needed = request.Version is null ? plan.R : 1;
        if (pref.Length < needed)
            throw new CometException(CometErrorCode.QuorumNotReached, $"Only {pref.Length} silos are live; this read needs r={needed}.");
        var message = new ReplicaGetRequest(key.Namespace, key.Key, request.Version, caller with { ArgsJson = request.ArgsJson });

        var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.ReplicaTimeout);
        var answers = new List<(string Silo, ReplicaGetResponse Answer)>(needed);
        var failures = new List<CometException>();
        var next = 0;
        var pending = new List<Task<ReplicaGetResponse>>(needed);
        var asked = new Dictionary<Task<ReplicaGetResponse>, string>(needed);
        void Ask(string silo)
        {
            var task = _replicas.GetAsync(silo, key, message, timeout.Token).AsTask();
            pending.Add(task);
            asked[task] = silo;
        }
        for (; next < needed; next++) Ask(pref[next]);
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending).ConfigureAwait(false);
            pending.Remove(done);
            try
            {
                var answer = await done.ConfigureAwait(false);
                if (request.Version is not null && answer.Items.Count == 0)
                {
                    // This replica does not keep that version: ask the next one.
                    if (next < pref.Length) Ask(pref[next++]);
                    continue;
                }
                answers.Add((asked[done], answer));
                if (answers.Count >= needed) break;
            }
            catch (CometException ex) when (IsObjectError(ex.Code))
            {
                // The object's own code failed: the same code fails on every replica, so say so now.
                ObserveRemaining(pending, timeout);
                throw;
            }
            catch (Exception ex) when (ex is CometException or OperationCanceledException)
            {
                failures.Add(AsComet(ex));
                if (next < pref.Length) Ask(pref[next++]);
            }
        }
        ObserveRemaining(pending, timeout);
        if (request.Version is not null)
        {
            if (answers.Count == 0 && failures.Count == 0)
                throw new CometException(CometErrorCode.NotFound, $"No replica keeps version {request.Version} of '{key.Key}'.");
        }
        if (answers.Count < needed) throw QuorumFailure(failures, answers.Count, needed, "read");
        if (request.Version is null) RepairStaleReplicas(key, answers);
        return Merge(key, answers.Select(a => a.Answer).ToList());
    }

    public async ValueTask<HistoryResponse> HistoryAsync(HistoryRequest request, CancellationToken ct, ObjectKey? knownKey = null)
    {
        var ns = Namespace(request.Namespace);
        var key = knownKey ?? ObjectKey.Create(request.Namespace, request.Key, _options.Limits);
        var plan = QuorumPlan.Resolve(ns, default);
        var pref = OrderedForRead(_view().Ring.PreferenceList(key.Hash, plan.N));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.ReplicaTimeout);
        var tasks = pref.Select(s => _replicas.HistoryAsync(s, key, request, timeout.Token).AsTask()).ToList();
        var byVersion = new Dictionary<string, HistoryItem>(StringComparer.Ordinal);
        var answered = 0;
        var failures = new List<CometException>();
        foreach (var task in tasks)
        {
            try
            {
                var answer = await task.ConfigureAwait(false);
                answered++;
                foreach (var item in answer.Items)
                {
                    if (!byVersion.TryGetValue(item.Version, out var known) || (item.Live && !known.Live) || (known.Value is null && item.Value is not null))
                        byVersion[item.Version] = item;
                }
            }
            catch (Exception ex) when (ex is CometException or OperationCanceledException)
            {
                failures.Add(AsComet(ex));
            }
        }
        if (answered < Math.Min(plan.R, pref.Length)) throw QuorumFailure(failures, answered, plan.R, "history read");
        var items = byVersion.Values.OrderByDescending(i => i.WrittenAtMs).ThenByDescending(i => i.Version, StringComparer.Ordinal).ToList();
        return new HistoryResponse(items);
    }

    /// <summary>
    /// Read repair (Dynamo): a replica that answered without a version another replica showed to
    /// be current gets that version, copied in the background from a replica that has it.
    /// </summary>
    private void RepairStaleReplicas(ObjectKey key, List<(string Silo, ReplicaGetResponse Answer)> answers)
    {
        if (answers.Count < 2) return;
        var current = new Dictionary<Dot, string>();
        foreach (var (silo, answer) in answers)
        {
            foreach (var item in answer.Items)
            {
                var superseded = false;
                foreach (var (_, other) in answers)
                    foreach (var o in other.Items)
                        if (o.Version.Supersedes(item.Version)) superseded = true;
                if (!superseded) current.TryAdd(item.Version.Dot, silo);
            }
        }
        foreach (var (silo, answer) in answers)
        {
            var missing = current.Where(c => !answer.Items.Any(i => i.Version.Dot == c.Key)).ToList();
            if (missing.Count == 0) continue;
            _ = RepairAsync(key, silo, missing);
        }
    }

    private async Task RepairAsync(ObjectKey key, string stale, List<KeyValuePair<Dot, string>> missing)
    {
        try
        {
            using var deadline = new CancellationTokenSource(_options.ReplicaTimeout);
            foreach (var source in missing.Select(m => m.Value).Distinct())
            {
                var entries = await _replicas.FetchAsync(source, key, deadline.Token).ConfigureAwait(false);
                foreach (var entry in entries)
                {
                    if (!missing.Any(m => m.Key == entry.Version.Dot)) continue;
                    await _replicas.PutAsync(stale, key, new ReplicaPutRequest(key.Namespace, key.Key, entry, PutMode.Repair, CallerInfo.Internal(Self)), deadline.Token)
                        .ConfigureAwait(false);
                    Interlocked.Increment(ref _readRepairs);
                }
            }
        }
        catch (Exception ex) when (ex is CometException or OperationCanceledException)
        {
            // Best effort: anti-entropy repairs what read repair could not.
        }
    }

    private long _readRepairs;

    /// <summary>Versions this coordinator copied to stale replicas while serving reads.</summary>
    public long ReadRepairs => Interlocked.Read(ref _readRepairs);

    /// <summary>Keeps every version no other answered version supersedes; tombstones hide the key.</summary>
    private static GetResponse Merge(ObjectKey key, List<ReplicaGetResponse> answers)
    {
        var all = new List<ReplicaItem>();
        foreach (var answer in answers)
        {
            foreach (var item in answer.Items)
            {
                var seen = false;
                foreach (var known in all)
                {
                    if (known.Version.Dot == item.Version.Dot)
                    {
                        seen = true;
                        break;
                    }
                }
                if (!seen) all.Add(item);
            }
        }
        var context = VectorClock.Empty;
        var items = new List<GetItem>(1);
        foreach (var item in all)
        {
            context = context.Merge(item.Version.CausalClock);
            var superseded = false;
            foreach (var other in all)
            {
                if (other.Version.Supersedes(item.Version))
                {
                    superseded = true;
                    break;
                }
            }
            if (!superseded && item.Kind != ObjectKind.Tombstone)
                items.Add(new GetItem(item.Version.Id, item.Kind, item.Data, item.ExpiresAtMs));
        }
        if (items.Count == 0)
            throw new CometException(CometErrorCode.NotFound, $"No object under '{key.Key}' in namespace '{key.Namespace}' (never stored, deleted or expired).");
        return new GetResponse(items, context.ToToken());
    }

    /// <summary>This silo first when it holds a replica: its answer needs no network hop.</summary>
    private string[] OrderedForRead(string[] pref)
    {
        var self = Array.IndexOf(pref, Self);
        if (self <= 0) return pref;
        var ordered = (string[])pref.Clone();
        (ordered[0], ordered[self]) = (ordered[self], ordered[0]);
        return ordered;
    }

    private long ExpiryOf(NamespaceOptions ns, int? ttlSeconds)
    {
        var ttl = ttlSeconds is { } s ? TimeSpan.FromSeconds(s) : ns.DefaultTtl;
        if (ttlSeconds is < 0)
            throw new CometException(CometErrorCode.BadRequest, "ttl must not be negative.");
        if (ns.MaxTtl > TimeSpan.Zero)
        {
            if (ttl > ns.MaxTtl)
                throw new CometException(CometErrorCode.BadRequest, $"ttl={ttl.TotalSeconds:0}s exceeds this namespace's maximum of {ns.MaxTtl.TotalSeconds:0}s.");
            if (ttl == TimeSpan.Zero) ttl = ns.MaxTtl;
        }
        return ttl == TimeSpan.Zero ? VersionEntry.NoExpiry : NowMs() + (long)ttl.TotalMilliseconds;
    }

    internal static void ValidateArgs(string? argsJson)
    {
        if (argsJson is null) return;
        try
        {
            using var doc = JsonDocument.Parse(argsJson, new JsonDocumentOptions { MaxDepth = 32 });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new CometException(CometErrorCode.BadRequest, "args must be a JSON object, e.g. {\"password\":\"...\"}.");
        }
        catch (JsonException ex)
        {
            throw new CometException(CometErrorCode.BadRequest, $"args is not valid JSON: {ex.Message}");
        }
    }

    /// <summary>Errors raised by an object's own code (or its limits): the same on every replica, so never retried elsewhere.</summary>
    internal static bool IsObjectError(CometErrorCode code) => code is CometErrorCode.Rejected or CometErrorCode.HandlerError
        or CometErrorCode.InstructionLimit or CometErrorCode.MemoryLimit or CometErrorCode.TimeLimit or CometErrorCode.RateLimited
        or CometErrorCode.BadCode or CometErrorCode.TooLarge or CometErrorCode.BadRequest;

    private static CometException QuorumFailure(List<CometException> failures, int got, int needed, string what)
    {
        foreach (var f in failures)
            if (IsObjectError(f.Code)) return new CometException(f.Code, f.Message, f);
        var reasons = failures.Count == 0 ? "" : " (" + string.Join("; ", failures.Select(f => f.Message).Distinct()) + ")";
        return new CometException(CometErrorCode.QuorumNotReached, $"Only {got} of the {needed} replicas this {what} needs answered{reasons}.");
    }

    private static CometException AsComet(Exception ex) => ex switch
    {
        CometException c => c,
        OperationCanceledException => new CometException(CometErrorCode.Timeout, "A replica did not answer in time."),
        _ => new CometException(CometErrorCode.Internal, ex.Message, ex),
    };

    /// <summary>
    /// Replicas past the quorum keep going in the background (a write still reaches all N); the
    /// deadline is disposed once they finish, and their faults are observed so none goes unobserved.
    /// </summary>
    private static void ObserveRemaining<T>(List<Task<T>> pending, CancellationTokenSource deadline)
    {
        if (pending.Count == 0)
        {
            deadline.Dispose();
            return;
        }
        _ = Task.WhenAll(pending).ContinueWith(static (t, state) =>
        {
            _ = t.Exception;
            ((CancellationTokenSource)state!).Dispose();
        }, deadline, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    private long NowMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();
}
