using Comet.Abstractions.Options;
using System.Collections.Concurrent;
using Comet.Abstractions.Keys;
using Comet.Abstractions.Versions;
using Comet.Grid.Messaging;
using Microsoft.Extensions.Logging;

namespace Comet.Grid.Grains;

/// <summary>
/// The activation directory of one silo (Orleans's Catalog): activates key grains on demand,
/// routes each call into the grain's turn, writes replica-local state shortly after handlers
/// change it, and deactivates activations that have been idle long enough.
/// </summary>
public sealed partial class Catalog : IAsyncDisposable
{
    private readonly ConcurrentDictionary<ObjectKey, KeyGrain> _grains = new();
    private readonly GrainRuntime _rt;
    private readonly Func<ulong, int> _partitionOf;
    private readonly CancellationTokenSource _stop = new();
    private Task? _collector;
    private Task? _flusher;

    public Catalog(GrainRuntime runtime, Func<ulong, int> partitionOf)
    {
        _rt = runtime;
        _partitionOf = partitionOf;
        HandlerFailures = new Hosting.HandlerFailureMetrics(runtime.Options.SiloId);
    }

    public int ActivationCount => _grains.Count;

    /// <summary>Handler failures of this silo's replicas, by error code (the admin API's metrics).</summary>
    public Hosting.HandlerFailureMetrics HandlerFailures { get; }

    public IEnumerable<KeyGrain> Activations => _grains.Values;

    public void Start()
    {
        _collector = Task.Run(() => CollectLoopAsync(_stop.Token));
        _flusher = Task.Run(() => FlushLoopAsync(_stop.Token));
    }

    /// <summary>Activates every key whose ASO had a running timer on this silo, which re-arms the timers.</summary>
    public async Task ReactivateTimersAsync(CancellationToken ct)
    {
        var keys = new List<(string, string)>();
        await foreach (var k in _rt.Timers.ListAsync(ct).ConfigureAwait(false)) keys.Add(k);
        foreach (var (ns, key) in keys)
        {
            ObjectKey objectKey;
            try
            {
                objectKey = ObjectKey.Create(ns, key, _rt.Options.Limits);
            }
            catch (Comet.Abstractions.Errors.CometException)
            {
                continue;
            }
            var grain = _grains.GetOrAdd(objectKey, k => new KeyGrain(_rt, k, _partitionOf(k.Hash), timerRegistered: true));
            try
            {
                await grain.RunAsync(static (_, _, _) => ValueTask.FromResult(true), 0, ct).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // one broken object must not stop the others' timers
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogReactivationFailed(_rt.Logger, objectKey.ToString(), ex.Message);
            }
        }
    }

    /// <summary>Runs <paramref name="operation"/> in a turn of the key's activation, activating it if needed.</summary>
    public async ValueTask<TResult> RunAsync<TState, TResult>(ObjectKey key, Func<KeyGrain, TState, CancellationToken, ValueTask<TResult>> operation, TState state, CancellationToken ct,
        TimeSpan? turnWait = null)
    {
        while (true)
        {
            var grain = _grains.GetOrAdd(key, static (k, self) => new KeyGrain(self._rt, k, self._partitionOf(k.Hash)), this);
            try
            {
                return await grain.RunAsync(operation, state, ct, turnWait).ConfigureAwait(false);
            }
            catch (GrainDeactivatedException)
            {
                _grains.TryRemove(new KeyValuePair<ObjectKey, KeyGrain>(key, grain));
            }
            catch (Abstractions.Errors.CometException ex) when (HandlerFailures.Observe(ex.Code))
            {
                throw; // never reached: Observe only counts, and returns false
            }
        }
    }

    /// <summary>
    /// The live version of <paramref name="key"/> whose ASO runs <paramref name="code"/>: read by a
    /// neighbour put from inside that grain's own turn (the handler is running), so no lock is taken.
    /// </summary>
    internal VersionEntry? CurrentEntry(ObjectKey key, string code) =>
        _grains.TryGetValue(key, out var grain) ? grain.LiveAsoEntry(code) : null;

    public ValueTask<(ulong Counter, VectorClock Clock)> ReserveCounterAsync(ObjectKey key, string self, VectorClock? context, CancellationToken ct) =>
        RunAsync(key, static (grain, ctx, _) => ValueTask.FromResult(grain.ReserveCounter(ctx)), context, ct);

    public ValueTask<ReplicaPutStatus> PutAsync(ObjectKey key, ReplicaPutRequest request, CancellationToken ct) =>
        RunAsync(key, static (grain, req, ct) => grain.ApplyPutAsync(req, ct), request, ct,
            request.Mode == PutMode.Neighbour ? _rt.Options.NeighbourTurnWait : null);

    public ValueTask<ReplicaGetResponse> GetAsync(ObjectKey key, ReplicaGetRequest request, CancellationToken ct) =>
        RunAsync(key, static (grain, req, ct) => grain.ReadAsync(req, ct), request, ct,
            request.Caller.Node is not null ? _rt.Options.NeighbourTurnWait : null);

    public ValueTask<Abstractions.Protocol.HistoryResponse> HistoryAsync(ObjectKey key, CancellationToken ct) =>
        RunAsync(key, static (grain, _, _) => ValueTask.FromResult(grain.History()), 0, ct);

    /// <summary>The live versions of this silo's replica of <paramref name="key"/>, with their current data.</summary>
    public ValueTask<List<VersionEntry>> FetchAsync(ObjectKey key, CancellationToken ct) =>
        RunAsync(key, static (grain, _, _) => ValueTask.FromResult(grain.LiveEntries()), 0, ct);

    /// <summary>This silo's replica of <paramref name="key"/> (activating it if needed).</summary>
    public ValueTask<ReplicaInspection> InspectAsync(ObjectKey key, CancellationToken ct) =>
        RunAsync(key, static (grain, _, _) => ValueTask.FromResult(grain.Inspect()), 0, ct);

    /// <summary>Deactivates activations idle since before <paramref name="idleBeforeMs"/>; returns how many.</summary>
    public async Task<int> CollectAsync(long idleBeforeMs)
    {
        var count = 0;
        foreach (var (key, grain) in _grains)
        {
            if (grain.LastUsedMs > idleBeforeMs || grain.HasTimer) continue;
            if (await grain.TryDeactivateAsync(idleBeforeMs).ConfigureAwait(false))
            {
                _grains.TryRemove(new KeyValuePair<ObjectKey, KeyGrain>(key, grain));
                count++;
            }
        }
        return count;
    }

    /// <summary>Writes every activation's dirty replica-local state now.</summary>
    public async Task FlushAsync()
    {
        while (_rt.DirtyGrains.TryDequeue(out var grain))
        {
            if (grain.IsDirty) await grain.FlushAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Clean shutdown: write dirty state, deactivate everything.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await WaitLoopsAsync().ConfigureAwait(false);
        foreach (var grain in _grains.Values) await grain.DeactivateAsync().ConfigureAwait(false);
        _grains.Clear();
    }

    /// <summary>A killed silo: timers stop, nothing more is written.</summary>
    public void Abandon()
    {
        _stop.Cancel();
        foreach (var grain in _grains.Values) grain.Abandon();
        _grains.Clear();
    }

    private async Task CollectLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_rt.Options.CollectionPeriod, _rt.Time, ct).ConfigureAwait(false);
                await CollectAsync(_rt.NowMs() - (long)_rt.Options.IdleActivationAge.TotalMilliseconds).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // the collector retries next period
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogCollectorFailed(_rt.Logger, ex);
            }
        }
    }

    private async Task FlushLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_rt.Options.StateFlushDelay, _rt.Time, ct).ConfigureAwait(false);
                await FlushAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // the flusher retries next period
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogCollectorFailed(_rt.Logger, ex);
            }
        }
    }

    private async Task WaitLoopsAsync()
    {
        foreach (var loop in new[] { _collector, _flusher })
        {
            if (loop is null) continue;
            try { await loop.ConfigureAwait(false); } catch (OperationCanceledException) { }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reactivating {Key} for its timer failed: {Message}")]
    private static partial void LogReactivationFailed(ILogger logger, string key, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Activation collection or state flush failed; retrying")]
    private static partial void LogCollectorFailed(ILogger logger, Exception ex);
}
