using System.Text;
using System.Text.Json;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Keys;
using Comet.Abstractions.Options;
using Comet.Abstractions.Protocol;
using Comet.Abstractions.Versions;
using Comet.Sandbox;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Comet.Grains;

/// <summary>
/// Dynamo's coordinator on one silo: a put gets its version from the key's first reachable
/// replica (which stores it first), is then sent to the other N - 1 replicas, and is answered
/// after W acknowledgements; a get asks R replicas and answers with the newest version, or
/// every concurrent version (siblings), and copies current versions to replicas that lacked
/// them (read repair). The REST gateway calls it in-process; SDK clients reach it through
/// <see cref="CoordinatorGrain"/>.
/// </summary>
public sealed class Coordinator
{
    private readonly IGrainFactory _grains;
    private readonly RingView _ring;
    private readonly ILocalSiloDetails _silo;
    private readonly CometGridOptions _options;
    private readonly AsoSandboxOptions _sandbox;
    private readonly TimeProvider _time;
    private long _readRepairs;

    public Coordinator(IGrainFactory grains, RingView ring, ILocalSiloDetails silo, IOptions<CometGridOptions> options, AsoRuntime sandbox, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sandbox);
        _grains = grains;
        _ring = ring;
        _silo = silo;
        _options = options.Value;
        _sandbox = sandbox.Options;
        _time = time;
    }

    /// <summary>Versions this coordinator copied to stale replicas while serving reads.</summary>
    public long ReadRepairs => Interlocked.Read(ref _readRepairs);

    public CometGridOptions Options => _options;

    /// <summary>The namespace's settings, or <see cref="CometErrorCode.UnknownNamespace"/>.</summary>
    public NamespaceOptions Namespace(string ns) =>
        _options.Namespaces.TryGetValue(ns, out var options)
            ? options
            : throw new CometException(CometErrorCode.UnknownNamespace, $"Namespace '{ns}' does not exist; the operator configures namespaces.");

    public async Task<PutResult> PutAsync(PutCommand request, CallerInfo caller, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var ns = Namespace(request.Namespace);
        var key = ObjectKey.Create(request.Namespace, request.Key, _options.Limits);
        var plan = QuorumPlan.Resolve(ns, request.Quorum);
        ValidateArgs(request.ArgsJson);
        if (request.Kind == ObjectKind.Aso)
        {
            if (request.Code is null)
                throw new CometException(CometErrorCode.BadCode, "An ASO put needs Lua source code.");
            if (Encoding.UTF8.GetByteCount(request.Code) > _options.Limits.MaxCodeBytes)
                throw new CometException(CometErrorCode.TooLarge, $"The ASO code is larger than {_options.Limits.MaxCodeBytes} bytes.");
            AsoRuntime.ValidateCode(request.Code, _sandbox);
        }
        else if (request.Kind != ObjectKind.Value)
        {
            throw new CometException(CometErrorCode.BadRequest, "A put stores a passive value or an ASO.");
        }
        else if (request.Value.Length > _options.Limits.MaxValueBytes)
        {
            throw new CometException(CometErrorCode.TooLarge, $"The value is {request.Value.Length} bytes; the limit is {_options.Limits.MaxValueBytes}.");
        }
        var expiresAt = ExpiryOf(ns, request.TtlSeconds);
        var context = request.Context is null ? null : VectorClock.FromToken(request.Context);
        var aso = request.Kind == ObjectKind.Aso;
        return await WriteAsync(key, plan, request.Quorum.N is not null, request.Kind, aso ? request.Code : null, aso ? ReadOnlyMemory<byte>.Empty : request.Value,
            expiresAt, context, caller with { ArgsJson = request.ArgsJson }, ct).ConfigureAwait(false);
    }

    public async Task<PutResult> DeleteAsync(DeleteCommand request, CallerInfo caller, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var key = ObjectKey.Create(request.Namespace, request.Key, _options.Limits);
        var plan = QuorumPlan.Resolve(Namespace(request.Namespace), request.Quorum);
        ValidateArgs(request.ArgsJson);
        var context = request.Context is null ? null : VectorClock.FromToken(request.Context);
        return await WriteAsync(key, plan, false, ObjectKind.Tombstone, null, ReadOnlyMemory<byte>.Empty, VersionEntry.NoExpiry, context,
            caller with { ArgsJson = request.ArgsJson }, ct).ConfigureAwait(false);
    }

    private async Task<PutResult> WriteAsync(ObjectKey key, QuorumPlan plan, bool replicasChosen, ObjectKind kind, string? code, ReadOnlyMemory<byte> payload,
        long expiresAt, VectorClock? context, CallerInfo caller, CancellationToken ct)
    {
        RequireLiveSilos(plan.W, "write", "w");
        var write = new NewWrite(kind, code, payload, expiresAt, context, caller, plan.N, replicasChosen);
        var failures = new List<CometException>();

        // Step 1: the key's home replica (replica 0, which holds every object whatever its n) gives the write its
        // version, runs the object's handlers first and stores it; so concurrent puts to one key meet in one place,
        // an object's onUpdate sees every put, and the object's own n decides the fan-out. Should replica 0 not
        // answer, the next replica that does coordinates instead.
        CoordinatedWrite? made = null;
        var first = -1;
        foreach (var replica in WriteOrder(key, plan.N))
        {
            try
            {
                made = await Replica(key, replica).CoordinateAsync(write).WaitAsync(_options.CoordinateTimeout, ct).ConfigureAwait(false);
                first = replica;
                break;
            }
            catch (Exception ex) when (IsReplicaFailure(ex, ct))
            {
                var failure = AsComet(ex);
                if (IsObjectError(failure.Code)) throw failure;
                // A replica that did not answer in time may still store the write: versioning it again elsewhere would
                // make two versions of one write, and a reader who replaces one would see the other come back. So the
                // write's outcome is unknown, and the client is told so; only a refused call moves on to the next replica.
                if (failure.Code == CometErrorCode.Timeout)
                    throw new CometException(CometErrorCode.Timeout,
                        $"Replica {replica} of '{key.Key}' did not answer within {_options.CoordinateTimeout.TotalSeconds:0.#} s; the write may or may not be stored. Read the key and put again with its context.");
                failures.Add(failure);
            }
        }
        if (made is null) throw QuorumFailure(failures, 0, plan.W, "write");

        // Step 2: the object's other replicas; the answer goes back after W acknowledgements (at most the object's n),
        // the rest finish in the background. A put the object absorbed (onUpdate said "keep") reaches them as the
        // object it became, copied without handlers, so every replica holds every absorbed put whatever the order.
        var n = made.Replicas;
        var w = Math.Min(plan.W, n);
        var acks = 1;
        var put = new ReplicaPut(made.Entry, made.Absorbed ? PutMode.Repair : PutMode.Client, caller, n);
        var pending = new List<Task<ReplicaPutStatus>>(n);
        for (var r = 0; r < n; r++)
            if (r != first) pending.Add(Replica(key, r).ApplyAsync(put).WaitAsync(_options.ReplicaTimeout, CancellationToken.None));
        while (acks < w && pending.Count > 0)
        {
            var done = await Task.WhenAny(pending).WaitAsync(ct).ConfigureAwait(false);
            pending.Remove(done);
            try
            {
                await done.ConfigureAwait(false);
                acks++;
            }
            catch (Exception ex) when (IsReplicaFailure(ex, ct))
            {
                failures.Add(AsComet(ex));
                if (acks + pending.Count < w) break;
            }
        }
        Observe(pending);
        if (acks < w) throw QuorumFailure(failures, acks, w, "write");
        var version = made.Entry.Version;
        return new PutResult(version.Id, version.CausalClock.ToToken(), acks, made.Created);
    }

    public async Task<GetResult> GetAsync(GetCommand request, CallerInfo caller, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var ns = Namespace(request.Namespace);
        var key = ObjectKey.Create(request.Namespace, request.Key, _options.Limits);
        var plan = QuorumPlan.Resolve(ns, request.Quorum);
        ValidateArgs(request.ArgsJson);
        if (request.Version is not null) Dot.Parse(request.Version);
        var needed = request.Version is null ? plan.R : 1;
        RequireLiveSilos(needed, "read", "r");
        var order = ReplicaOrder(key, plan.N);
        var read = new ReplicaRead(request.Version, caller with { ArgsJson = request.ArgsJson });

        var answers = new List<(int Replica, ReplicaReadResult Answer)>(needed);
        var failures = new List<CometException>();
        CometException? erased = null;
        var pending = new List<Task<ReplicaReadResult>>(needed);
        var asked = new Dictionary<Task<ReplicaReadResult>, int>(needed);
        var next = 0;
        void Ask(int replica)
        {
            var task = Replica(key, replica).ReadAsync(read).WaitAsync(_options.ReplicaTimeout, CancellationToken.None);
            pending.Add(task);
            asked[task] = replica;
        }
        for (; next < needed; next++) Ask(order[next]);
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending).WaitAsync(ct).ConfigureAwait(false);
            pending.Remove(done);
            try
            {
                var answer = await done.ConfigureAwait(false);
                if (request.Version is not null && answer.Items.Count == 0)
                {
                    // This replica does not keep that version: ask the next one.
                    if (next < order.Length) Ask(order[next++]);
                    continue;
                }
                answers.Add((asked[done], answer));
                if (answers.Count >= needed) break;
            }
            catch (Exception ex) when (IsReplicaFailure(ex, ct))
            {
                var failure = AsComet(ex);
                if (IsObjectError(failure.Code))
                {
                    // The object's own code failed: the same code fails on every replica, so say so now.
                    Observe(pending);
                    throw failure;
                }
                if (request.Version is not null && failure.Code == CometErrorCode.NotFound)
                {
                    // That version is erased here (deleted, expired, or its data trimmed): another replica may keep it.
                    erased = failure;
                    if (next < order.Length) Ask(order[next++]);
                    continue;
                }
                failures.Add(failure);
                if (next < order.Length) Ask(order[next++]);
            }
        }
        Observe(pending);
        if (request.Version is not null && answers.Count == 0 && erased is not null) throw erased;
        if (request.Version is not null && answers.Count == 0 && failures.Count == 0)
            throw new CometException(CometErrorCode.NotFound, $"No replica keeps version {request.Version} of '{key.Key}'.");
        if (request.Version is null) await CountHoldersOnlyAsync(key, read, answers, needed, failures, ct).ConfigureAwait(false);
        if (answers.Count < needed && !(request.Version is null && ObjectReplicas(answers) is > 0 and var n && answers.Count >= n))
            throw QuorumFailure(failures, answers.Count, needed, "read");
        if (request.Version is null && answers.TrueForAll(a => a.Answer.Items.Count == 0) && !answers.Exists(a => a.Replica == 0))
        {
            // Every replica asked is empty, but replica 0 holds every object, whatever n it was written with
            // (an object written with ?n=1 lives on replica 0 alone): a miss is a miss only once it says so.
            try
            {
                answers.Add((0, await Replica(key, 0).ReadAsync(read).WaitAsync(_options.ReplicaTimeout, ct).ConfigureAwait(false)));
            }
            catch (Exception ex) when (IsReplicaFailure(ex, ct))
            {
                var failure = AsComet(ex);
                if (IsObjectError(failure.Code)) throw failure;
                throw new CometException(CometErrorCode.Unavailable,
                    $"The replicas asked do not hold '{key.Key}', and replica 0, which holds every object whatever its n, did not answer ({failure.Message}); retry.");
            }
        }
        if (request.Version is null)
        {
            await SpreadDeletionsAsync(key, answers, ct).ConfigureAwait(false);
            RepairStaleReplicas(key, answers);
        }
        return VersionMerge.Merge(key, answers.ConvertAll(a => a.Answer));
    }

    /// <summary>The object's replication degree as the replicas that answered know it (0: none has stored the key).</summary>
    private static int ObjectReplicas(List<(int Replica, ReplicaReadResult Answer)> answers)
    {
        var n = 0;
        foreach (var (_, answer) in answers) n = Math.Max(n, answer.Replicas);
        return n;
    }

    /// <summary>
    /// An object keeps the n it was written with, which may be smaller than the namespace's: an empty answer from a
    /// replica past the object's n says nothing (that replica never holds it), so it does not count towards R, and
    /// the object's own replicas not asked yet are asked instead. R is at most the object's n.
    /// </summary>
    private async Task CountHoldersOnlyAsync(ObjectKey key, ReplicaRead read, List<(int Replica, ReplicaReadResult Answer)> answers, int needed,
        List<CometException> failures, CancellationToken ct)
    {
        var n = ObjectReplicas(answers);
        if (n == 0 || !answers.Exists(a => a.Replica >= n && a.Answer.Items.Count == 0)) return;
        var asked = answers.Select(a => a.Replica).ToHashSet();
        answers.RemoveAll(a => a.Replica >= n && a.Answer.Items.Count == 0);
        var want = Math.Min(needed, n);
        for (var r = 0; r < n && answers.Count < want; r++)
        {
            if (!asked.Add(r)) continue;
            try
            {
                answers.Add((r, await Replica(key, r).ReadAsync(read).WaitAsync(_options.ReplicaTimeout, ct).ConfigureAwait(false)));
            }
            catch (Exception ex) when (IsReplicaFailure(ex, ct))
            {
                var failure = AsComet(ex);
                if (IsObjectError(failure.Code)) throw failure;
                failures.Add(failure);
            }
        }
    }

    /// <summary>
    /// An object that deleted itself while serving this read (a one-time value's <c>comet.deleteSelf</c>) is gone
    /// from every replica before the answer leaves: its tombstones are copied to the object's other replicas now,
    /// so a later read of any replica, even with r=1, finds the deletion. Replicas that cannot be reached get it
    /// from anti-entropy.
    /// </summary>
    private async Task SpreadDeletionsAsync(ObjectKey key, List<(int Replica, ReplicaReadResult Answer)> answers, CancellationToken ct)
    {
        List<Task>? copies = null;
        var n = ObjectReplicas(answers);
        foreach (var (replica, answer) in answers)
        {
            if (answer.Deleted is not { Count: > 0 } tombstones) continue;
            foreach (var tombstone in tombstones)
            {
                var put = new ReplicaPut(tombstone, PutMode.Repair, CallerInfo.Internal(_silo.Name), n);
                for (var r = 0; r < n; r++)
                    if (r != replica) (copies ??= []).Add(Replica(key, r).ApplyAsync(put).WaitAsync(_options.ReplicaTimeout, ct));
            }
        }
        if (copies is null) return;
        try
        {
            await Task.WhenAll(copies).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsReplicaFailure(ex, ct))
        {
            // An unreachable replica gets the deletion from anti-entropy.
        }
    }

    public async Task<HistoryResult> HistoryAsync(HistoryQuery request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var ns = Namespace(request.Namespace);
        var key = ObjectKey.Create(request.Namespace, request.Key, _options.Limits);
        var plan = QuorumPlan.Resolve(ns, default);
        var tasks = new List<Task<HistoryResult>>(plan.N);
        foreach (var replica in ReplicaOrder(key, plan.N))
            tasks.Add(Replica(key, replica).HistoryAsync().WaitAsync(_options.ReplicaTimeout, ct));
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
                    if (!byVersion.TryGetValue(item.Version, out var known) || (item.Live && !known.Live) || (!known.DataKept && item.DataKept))
                        byVersion[item.Version] = item;
                }
            }
            catch (Exception ex) when (IsReplicaFailure(ex, ct))
            {
                failures.Add(AsComet(ex));
            }
        }
        if (answered < plan.R) throw QuorumFailure(failures, answered, plan.R, "history read");
        var items = byVersion.Values.OrderByDescending(i => i.WrittenAtMs).ThenByDescending(i => i.Version, StringComparer.Ordinal).ToList();
        return new HistoryResult(items);
    }

    /// <summary>
    /// Read repair (Dynamo): a replica that answered without a version another replica showed to
    /// be current gets that version, copied in the background from a replica that has it.
    /// </summary>
    private void RepairStaleReplicas(ObjectKey key, List<(int Replica, ReplicaReadResult Answer)> answers)
    {
        if (answers.Count < 2) return;
        var missing = VersionMerge.MissingVersions(answers);
        foreach (var (stale, wanted) in missing) _ = RepairAsync(key, stale, wanted);
    }

    private async Task RepairAsync(ObjectKey key, int stale, List<KeyValuePair<Dot, int>> missing)
    {
        try
        {
            foreach (var source in missing.Select(m => m.Value).Distinct())
            {
                var entries = await Replica(key, source).FetchAsync().WaitAsync(_options.ReplicaTimeout).ConfigureAwait(false);
                // An object keeps the number of copies it was written with: a replica past its n gets nothing.
                if (entries.Replicas > 0 && stale >= entries.Replicas) continue;
                foreach (var entry in entries.Live)
                {
                    if (!missing.Exists(m => m.Key == entry.Version.Dot)) continue;
                    await Replica(key, stale).ApplyAsync(new ReplicaPut(entry, PutMode.Repair, CallerInfo.Internal(_silo.Name), entries.Replicas))
                        .WaitAsync(_options.ReplicaTimeout).ConfigureAwait(false);
                    Interlocked.Increment(ref _readRepairs);
                }
            }
        }
        catch (Exception ex) when (IsReplicaFailure(ex, CancellationToken.None))
        {
            // Best effort: anti-entropy repairs what read repair could not.
        }
    }

    /// <summary>
    /// A quorum counts distinct silos: replicas that share a silo (fewer live silos than N) do not
    /// make a W or R larger than the number of live silos, so such a request is refused at once.
    /// </summary>
    private void RequireLiveSilos(int quorum, string what, string parameter)
    {
        var live = _ring.Current.Ring.Silos.Count;
        if (quorum > live)
            throw new CometException(CometErrorCode.QuorumNotReached,
                $"Only {live} silo{(live == 1 ? " is" : "s are")} live; this {what} needs {parameter}={quorum} distinct silos. Retry when silos return, or ask for a smaller {parameter}.");
    }

    /// <summary>
    /// The replicas 0..N-1 of a key, those on this silo first: their answers need no network
    /// hop, and the first of them gives a write its version.
    /// </summary>
    private int[] ReplicaOrder(ObjectKey key, int n)
    {
        var order = new int[n];
        var ring = _ring.Current.Ring;
        var walk = ring.IsEmpty ? [] : ring.PreferenceList(key.Hash, n);
        var front = 0;
        var back = n - 1;
        // Local replicas first, the others after them in replica order (the walk wraps when silos are fewer than N).
        for (var r = 0; r < n; r++) if (walk.Length > 0 && walk[r % walk.Length] == _silo.Name) order[front++] = r;
        for (var r = n - 1; r >= 0; r--) if (walk.Length == 0 || walk[r % walk.Length] != _silo.Name) order[back--] = r;
        return order;
    }

    /// <summary>The replicas a write asks to coordinate it, in turn: the home replica 0, then the others, local ones first.</summary>
    private int[] WriteOrder(ObjectKey key, int n)
    {
        var order = new int[n];
        var i = 0;
        order[i++] = 0;
        foreach (var r in ReplicaOrder(key, n))
            if (r != 0) order[i++] = r;
        return order;
    }

    private IReplicaGrain Replica(ObjectKey key, int replica) =>
        _grains.GetGrain<IReplicaGrain>(ReplicaGrainKey.Format(key.Namespace, key.Key, replica));

    private long ExpiryOf(NamespaceOptions ns, int? ttlSeconds)
    {
        if (ttlSeconds is < 0)
            throw new CometException(CometErrorCode.BadRequest, "ttl must not be negative.");
        var ttl = ttlSeconds is { } s ? TimeSpan.FromSeconds(s) : ns.DefaultTtl;
        if (ns.MaxTtl > TimeSpan.Zero)
        {
            if (ttl > ns.MaxTtl)
                throw new CometException(CometErrorCode.BadRequest, $"ttl={ttl.TotalSeconds:0}s exceeds this namespace's maximum of {ns.MaxTtl.TotalSeconds:0}s.");
            if (ttl == TimeSpan.Zero) ttl = ns.MaxTtl;
        }
        return ttl == TimeSpan.Zero ? VersionEntry.NoExpiry : _time.GetUtcNow().ToUnixTimeMilliseconds() + (long)ttl.TotalMilliseconds;
    }

    internal static void ValidateArgs(string? argsJson)
    {
        if (argsJson is null) return;
        try
        {
            using var doc = JsonDocument.Parse(argsJson, new JsonDocumentOptions { MaxDepth = 32 });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new CometException(CometErrorCode.BadRequest, "args must be a JSON object, e.g. {\"password\":\"...\"}.");
            // Everything a handler will see must convert: lone surrogates, duplicate members (400 here, not 500 at the replica).
            _ = Comet.Sandbox.AsoJson.FromJson(doc.RootElement);
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

    /// <summary>A replica call failed (not the caller's own cancellation): count it and ask another replica.</summary>
    private static bool IsReplicaFailure(Exception ex, CancellationToken ct) =>
        !(ex is OperationCanceledException && ct.IsCancellationRequested);

    private static CometException QuorumFailure(List<CometException> failures, int got, int needed, string what)
    {
        foreach (var f in failures)
            if (IsObjectError(f.Code)) return new CometException(f.Code, f.Message, f);
        var reasons = failures.Count == 0 ? "" : " (" + string.Join("; ", failures.Select(f => f.Message).Distinct()) + ")";
        return new CometException(CometErrorCode.QuorumNotReached, $"Only {got} of the {needed} replicas this {what} needs answered{reasons}.");
    }

    private static CometException AsComet(Exception ex) => ex switch
    {
        CometException c when c.GetType() == typeof(CometException) => c,
        CometException c => new CometException(c.Code, c.Message),
        TimeoutException => new CometException(CometErrorCode.Timeout, "A replica did not answer in time."),
        OperationCanceledException => new CometException(CometErrorCode.Timeout, "A replica did not answer in time."),
        SiloUnavailableException => new CometException(CometErrorCode.Unavailable, "A replica's silo is unavailable."),
        _ => new CometException(CometErrorCode.Unavailable, $"A replica failed: {ex.Message}", ex),
    };

    /// <summary>Replicas past the quorum keep going in the background (a write still reaches all N); their faults are observed.</summary>
    private static void Observe<T>(List<Task<T>> pending)
    {
        foreach (var task in pending)
            _ = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }
}
