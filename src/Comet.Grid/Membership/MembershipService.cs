using Comet.Grid.Hosting;
using Microsoft.Extensions.Logging;

namespace Comet.Grid.Membership;

/// <summary>
/// This silo's membership agent: writes its row and IAmAlive time, re-reads the table, and
/// publishes a new <see cref="MembershipView"/> whenever the set of live silos changes. A silo
/// is live while its status is Active and its IAmAlive time is recent.
/// </summary>
public sealed partial class MembershipService : IAsyncDisposable
{
    private readonly MembershipTable _table;
    private readonly SiloOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private MembershipEntry _self;
    private string? _selfETag;
    private Task? _loop;
    private long _version;
    private volatile MembershipView _view;

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
        var rows = await _table.ReadAllAsync(ct).ConfigureAwait(false);
        var now = NowMs();
        var timeout = (long)_options.IAmAliveTimeout.TotalMilliseconds;
        var entries = rows.Select(r => r.Entry).ToList();
        var live = entries
            .Where(e => e.SiloId == _self.SiloId || (e.Status == SiloStatus.Active && now - e.IAmAliveMs < timeout))
            .Select(e => e.SiloId)
            .ToList();
        if (!live.Contains(_self.SiloId)) live.Add(_self.SiloId);
        if (!entries.Any(e => e.SiloId == _self.SiloId)) entries.Add(_self);
        var current = _view;
        var changed = current.Live.Count != live.Count || live.Any(id => !current.Live.Contains(id));
        var endpointsChanged = entries.Any(e => current.Find(e.SiloId) is not { } old || old.GatewayPort != e.GatewayPort || old.SiloPort != e.SiloPort || old.StartedAtMs != e.StartedAtMs);
        if (!changed && !endpointsChanged) return;
        var view = new MembershipView(changed ? ++_version : current.Version, entries, live, _options.Partitions);
        _view = view;
        if (changed)
        {
            LogViewChanged(_logger, _self.SiloId, view.Version, string.Join(",", live.Order(StringComparer.Ordinal)));
            ViewChanged?.Invoke(view);
        }
    }

    /// <summary>Marks this silo as leaving, so others drop it from the ring at once.</summary>
    public async Task LeaveAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref _disposed) != 0) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null) await _loop.ConfigureAwait(false);
        _self = _self with { Status = SiloStatus.Dead, IAmAliveMs = NowMs() };
        for (var attempt = 0; attempt < 5; attempt++)
        {
            if (await _table.TryWriteAsync(_self, _selfETag, ct).ConfigureAwait(false) is not null) return;
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

    private async Task WriteIAmAliveAsync(CancellationToken ct)
    {
        _self = _self with { IAmAliveMs = NowMs() };
        var etag = await _table.TryWriteAsync(_self, _selfETag, ct).ConfigureAwait(false);
        if (etag is null)
        {
            // Someone else wrote our row (a suspicion vote): keep their votes' row version, re-assert liveness.
            var current = await _table.ReadAsync(_self.SiloId, ct).ConfigureAwait(false);
            etag = await _table.TryWriteAsync(_self, current?.ETag, ct).ConfigureAwait(false);
        }
        if (etag is not null) _selfETag = etag;
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
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Silo}: membership view {Version}: live silos {Live}")]
    private static partial void LogViewChanged(ILogger logger, string silo, long version, string live);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Silo}: membership refresh failed; retrying")]
    private static partial void LogMembershipError(ILogger logger, string silo, Exception ex);
}
