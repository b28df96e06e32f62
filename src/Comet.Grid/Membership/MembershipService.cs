using Comet.Grid.Hosting;
using Microsoft.Extensions.Logging;

namespace Comet.Grid.Membership;

/// <summary>
/// This silo's membership agent (Orleans's MembershipTableManager): writes its row and IAmAlive
/// time, re-reads the table, records suspicion votes against silos its <see cref="FailureDetector"/>
/// cannot reach, declares a silo dead when enough fresh votes agree, and publishes a new
/// <see cref="MembershipView"/> whenever the set of live silos changes. A silo is live while its
/// status is Active and its IAmAlive time is recent. Status changes spread by gossip: the silo
/// that writes one tells the others to re-read the table at once.
/// </summary>
public sealed partial class MembershipService : IAsyncDisposable
{
    private readonly MembershipTable _table;
    private readonly SiloOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _refreshLock = new(1, 1);
    private MembershipEntry _self;
    private string? _selfETag;
    private Task? _loop;
    private long _version;
    private volatile MembershipView _view;
    private volatile bool _declaredDead;
    private volatile bool _leaving;

    public MembershipService(MembershipTable table, SiloOptions options, MembershipEntry self, TimeProvider time, ILogger logger)
    {
        _table = table;
        _options = options;
        _self = self;
        _time = time;
        _logger = logger;
        _view = new MembershipView(0, [self], [self.SiloId], options.Partitions);
    }

    public MembershipView View => _view;

    /// <summary>Raised (on a background thread) after <see cref="View"/> changed.</summary>
    public event Action<MembershipView>? ViewChanged;

    /// <summary>Raised after this silo wrote a status change (a death or its own rejoin): the silo gossips it.</summary>
    public event Action? StatusWritten;

    /// <summary>
    /// Asked before a silo that was declared dead rejoins: true when it can reach another live
    /// silo (or there is none), so a silo cut off by a network partition stays out until it heals.
    /// </summary>
    public Func<IReadOnlyList<MembershipEntry>, CancellationToken, ValueTask<bool>>? CanRejoin { get; set; }

    /// <summary>True while the others have declared this silo dead and it has not rejoined.</summary>
    public bool DeclaredDead => _declaredDead;

    /// <summary>Silos this silo declared dead since it started.</summary>
    public long DeathsDeclared => Interlocked.Read(ref _deathsDeclared);

    private long _deathsDeclared;

    public async Task StartAsync(CancellationToken ct)
    {
        var existing = await _table.ReadAsync(_self.SiloId, ct).ConfigureAwait(false);
        _self = _self with { Status = SiloStatus.Active, IAmAliveMs = NowMs(), Suspicions = [] };
        _selfETag = await _table.TryWriteAsync(_self, existing?.ETag, ct).ConfigureAwait(false)
            ?? await _table.TryWriteAsync(_self, null, ct).ConfigureAwait(false);
        await RefreshAsync(ct).ConfigureAwait(false);
        _loop = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>Re-reads the table now and publishes a new view if the live set changed.</summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        await _refreshLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var rows = await _table.ReadAllAsync(ct).ConfigureAwait(false);
            Publish(rows.Select(r => r.Entry).ToList());
        }
        finally
        {
            _refreshLock.Release();
        }
    }

    /// <summary>Gossip from another silo: re-read the table now rather than at the next period.</summary>
    public void RequestRefresh()
    {
        if (_stop.IsCancellationRequested) return;
        _ = Task.Run(async () =>
        {
            try
            {
                await RefreshAsync(_stop.Token).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // a gossip prompt is an optimisation; the periodic refresh still runs
            catch (Exception ex) when (ex is not OutOfMemoryException)
#pragma warning restore CA1031
            {
                LogMembershipError(_logger, _self.SiloId, ex);
            }
        });
    }

    private void Publish(List<MembershipEntry> entries)
    {
        var now = NowMs();
        var timeout = (long)_options.IAmAliveTimeout.TotalMilliseconds;
        if (entries.Find(e => e.SiloId == _self.SiloId) is { Status: SiloStatus.Dead } && !_leaving && !_declaredDead)
        {
            _declaredDead = true;
            LogDeclaredDead(_logger, _self.SiloId);
        }
        var live = entries
            .Where(e => e.SiloId != _self.SiloId && e.Status == SiloStatus.Active && now - e.IAmAliveMs < timeout)
            .Select(e => e.SiloId)
            .ToList();
        live.Add(_self.SiloId);
        if (!entries.Any(e => e.SiloId == _self.SiloId)) entries.Add(_self);
        var current = _view;
        var changed = current.Live.Count != live.Count || live.Any(id => !current.Live.Contains(id));
        var endpointsChanged = entries.Any(e => current.Find(e.SiloId) is not { } old || old.GatewayPort != e.GatewayPort
            || old.SiloPort != e.SiloPort || old.StartedAtMs != e.StartedAtMs || old.Status != e.Status);
        if (!changed && !endpointsChanged) return;
        var view = new MembershipView(changed ? ++_version : current.Version, entries, live, _options.Partitions);
        _view = view;
        if (changed)
        {
            LogViewChanged(_logger, _self.SiloId, view.Version, string.Join(",", live.Order(StringComparer.Ordinal)));
            ViewChanged?.Invoke(view);
        }
    }

    /// <summary>
    /// Records this silo's vote that <paramref name="target"/> is dead (a conditional write on
    /// the target's row, retried on conflict) and declares it dead when enough fresh votes agree.
    /// Returns true when this vote declared it dead.
    /// </summary>
    public async Task<bool> SuspectAsync(string target, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var row = await _table.ReadAsync(target, ct).ConfigureAwait(false);
            if (row is not { } current || current.Entry.Status != SiloStatus.Active) return false;
            var now = NowMs();
            var expiry = (long)_options.DeathVoteExpiration.TotalMilliseconds;
            var votes = current.Entry.Suspicions
                .Where(v => now - v.AtMs < expiry && v.By != _self.SiloId)
                .Append(new Suspicion(_self.SiloId, now))
                .ToList();
            var othersLive = _view.Live.Count(id => id != target);
            var needed = Math.Max(1, Math.Min(_options.VotesForDeath, othersLive));
            var dead = votes.Select(v => v.By).Distinct(StringComparer.Ordinal).Count() >= needed;
            var updated = current.Entry with { Suspicions = votes, Status = dead ? SiloStatus.Dead : SiloStatus.Active };
            if (await _table.TryWriteAsync(updated, current.ETag, ct).ConfigureAwait(false) is null) continue;
            if (!dead)
            {
                LogSuspected(_logger, _self.SiloId, target, votes.Count, needed);
                return false;
            }
            Interlocked.Increment(ref _deathsDeclared);
            LogDeclaredDeadBy(_logger, _self.SiloId, target, votes.Count);
            await RefreshAsync(ct).ConfigureAwait(false);
            StatusWritten?.Invoke();
            return true;
        }
        return false;
    }

    /// <summary>Marks this silo as leaving, so others drop it from the ring at once.</summary>
    public async Task LeaveAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref _disposed) != 0) return;
        _leaving = true;
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null) await _loop.ConfigureAwait(false);
        _self = _self with { Status = SiloStatus.Dead, IAmAliveMs = NowMs() };
        for (var attempt = 0; attempt < 5; attempt++)
        {
            if (await _table.TryWriteAsync(_self, _selfETag, ct).ConfigureAwait(false) is not null)
            {
                StatusWritten?.Invoke();
                return;
            }
            _selfETag = (await _table.ReadAsync(_self.SiloId, ct).ConfigureAwait(false))?.ETag;
        }
    }

    private async Task RunAsync(CancellationToken ct)
    {
        var nextAlive = 0L;
        var period = (long)Math.Min(_options.IAmAlivePeriod.TotalMilliseconds, _options.MembershipRefreshPeriod.TotalMilliseconds);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(50, period)), _time, ct).ConfigureAwait(false);
                if (NowMs() >= nextAlive)
                {
                    await WriteIAmAliveAsync(ct).ConfigureAwait(false);
                    nextAlive = NowMs() + (long)_options.IAmAlivePeriod.TotalMilliseconds;
                }
                await RefreshAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // the agent must outlive a storage hiccup; it retries next period
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogMembershipError(_logger, _self.SiloId, ex);
            }
        }
    }

    /// <summary>
    /// Writes a fresh IAmAlive time, keeping the votes others wrote on our row (a conflict means
    /// someone voted: re-read and merge). A row the others marked Dead is not overwritten unless
    /// this silo can reach the cluster again; then it rejoins as Active with its votes cleared.
    /// </summary>
    private async Task WriteIAmAliveAsync(CancellationToken ct)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var etag = _selfETag;
            if (attempt > 0 || _declaredDead)
            {
                var row = await _table.ReadAsync(_self.SiloId, ct).ConfigureAwait(false);
                etag = row?.ETag;
                if (row is { } current)
                {
                    if (current.Entry.Status == SiloStatus.Dead && !await MayRejoinAsync(ct).ConfigureAwait(false))
                    {
                        _declaredDead = true;
                        return;
                    }
                    var expiry = (long)_options.DeathVoteExpiration.TotalMilliseconds;
                    var rejoining = current.Entry.Status == SiloStatus.Dead;
                    _self = _self with
                    {
                        Status = SiloStatus.Active,
                        Suspicions = rejoining ? [] : current.Entry.Suspicions.Where(v => NowMs() - v.AtMs < expiry).ToList(),
                    };
                }
            }
            _self = _self with { IAmAliveMs = NowMs() };
            var written = await _table.TryWriteAsync(_self, etag, ct).ConfigureAwait(false);
            if (written is null) continue;
            _selfETag = written;
            if (_declaredDead)
            {
                _declaredDead = false;
                LogRejoined(_logger, _self.SiloId);
                StatusWritten?.Invoke();
            }
            return;
        }
    }

    private async ValueTask<bool> MayRejoinAsync(CancellationToken ct)
    {
        if (CanRejoin is null) return true;
        var rows = await _table.ReadAllAsync(ct).ConfigureAwait(false);
        var others = rows.Select(r => r.Entry).Where(e => e.SiloId != _self.SiloId && e.Status == SiloStatus.Active).ToList();
        return others.Count == 0 || await CanRejoin(others, ct).ConfigureAwait(false);
    }

    private long NowMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            try { await _loop.ConfigureAwait(false); } catch (OperationCanceledException) { }
        }
        _stop.Dispose();
        _refreshLock.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Silo}: membership view {Version}: live silos {Live}")]
    private static partial void LogViewChanged(ILogger logger, string silo, long version, string live);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Silo}: suspects {Target} ({Votes} of {Needed} votes)")]
    private static partial void LogSuspected(ILogger logger, string silo, string target, int votes, int needed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Silo}: declared {Target} dead ({Votes} votes)")]
    private static partial void LogDeclaredDeadBy(ILogger logger, string silo, string target, int votes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Silo}: the other silos declared this silo dead; it rejoins once it can reach them")]
    private static partial void LogDeclaredDead(ILogger logger, string silo);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Silo}: rejoined the cluster after being declared dead")]
    private static partial void LogRejoined(ILogger logger, string silo);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Silo}: membership refresh failed; retrying")]
    private static partial void LogMembershipError(ILogger logger, string silo, Exception ex);
}
