using System.Net;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Protocol;
using Comet.Abstractions.Wire;

namespace Comet.Client.Routing;

/// <summary>
/// Keeps the client's <see cref="ClusterMap"/> current: reads the cluster view from any silo it knows (then from the
/// configured gateways), periodically and at once when a silo fails a request. A stale map is never wrong, only slower:
/// every silo accepts every request and forwards it to the key's coordinator.
/// </summary>
internal sealed class ClusterWatcher : IAsyncDisposable
{
    private readonly FrameConnector _connector;
    private readonly IReadOnlyList<EndPoint> _gateways;
    private readonly TimeSpan _period;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private ClusterMap _map;
    private Task _loop = Task.CompletedTask;
    private Task _refreshing = Task.CompletedTask;
    private long _refreshes;

    public ClusterWatcher(FrameConnector connector, IReadOnlyList<EndPoint> gateways, TimeSpan period)
    {
        _connector = connector;
        _gateways = gateways;
        _period = period;
        _map = ClusterMap.FromGateways(gateways);
    }

    public ClusterMap Current => Volatile.Read(ref _map);

    /// <summary>Cluster views read successfully so far.</summary>
    public long Refreshes => Interlocked.Read(ref _refreshes);

    /// <summary>Starts the periodic refresh (unless the period is infinite).</summary>
    public void Start()
    {
        if (_period != Timeout.InfiniteTimeSpan) _loop = RefreshPeriodicallyAsync();
    }

    /// <summary>
    /// Reads the cluster view from the first silo or gateway that answers and makes it current. Throws
    /// <see cref="CometErrorCode.Unavailable"/> listing why each one failed when none answers.
    /// </summary>
    public async Task<ClusterMap> RefreshAsync(CancellationToken ct)
    {
        var failures = new List<string>();
        CometErrorCode? refused = null;
        foreach (var endPoint in Sources())
        {
            ct.ThrowIfCancellationRequested();
            ClusterViewResponse view;
            try
            {
                var connection = await _connector.GetConnectionAsync(endPoint, ct).ConfigureAwait(false);
                using var payload = await connection.RequestAsync((ushort)Opcode.ClusterView, ReadOnlyMemory<byte>.Empty, ct).ConfigureAwait(false);
                view = ReadView(payload.Span);
            }
            catch (CometException ex)
            {
                failures.Add($"{endPoint}: {ex.Code}: {ex.Message}");
                if (ex.Code is CometErrorCode.Unauthorized or CometErrorCode.Forbidden) refused = ex.Code;
                continue;
            }
            if (view.Silos.Count == 0)
            {
                failures.Add($"{endPoint}: its view names no live silo yet");
                continue;
            }
            Interlocked.Increment(ref _refreshes);
            return Apply(view);
        }
        // A gateway that refused our credentials is not "unavailable": say so, so the caller fixes its key.
        if (refused is { } code)
            throw new CometException(code, $"The gateways refused this client's credentials ({string.Join("; ", failures)}). Check CometClientOptions.ApiKey.");
        throw new CometException(CometErrorCode.Unavailable,
            $"No gateway answered with the cluster view ({string.Join("; ", failures)}). Check the gateway addresses (host:port of a silo's gateway port) and that the silos are running.");
    }

    /// <summary>Starts a background refresh unless one is already running (many failing requests cause one refresh).</summary>
    public void RefreshSoon()
    {
        if (_stop.IsCancellationRequested) return;
        lock (_lock)
        {
            if (!_refreshing.IsCompleted) return;
            _refreshing = RefreshQuietlyAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        Task refreshing;
        lock (_lock) refreshing = _refreshing;
        await Task.WhenAll(_loop, refreshing).ConfigureAwait(false);
        _stop.Dispose();
    }

    private ClusterMap Apply(ClusterViewResponse view)
    {
        lock (_lock)
        {
            var current = _map;
            if (current.Matches(view)) return current;
            var next = ClusterMap.FromView(view, current);
            Volatile.Write(ref _map, next);
            return next;
        }
    }

    /// <summary>The silos of the current map (healthy first, in turn), then the configured gateways not among them.</summary>
    private List<EndPoint> Sources()
    {
        var map = Current;
        var sources = new List<EndPoint>(map.Routes.Count + _gateways.Count);
        var first = map.Next();
        var start = IndexOf(map.Routes, first);
        for (var i = 0; i < map.Routes.Count; i++) sources.Add(map.Routes[(start + i) % map.Routes.Count].EndPoint);
        foreach (var gateway in _gateways)
            if (!sources.Contains(gateway)) sources.Add(gateway);
        return sources;
    }

    private static int IndexOf(IReadOnlyList<SiloRoute> routes, SiloRoute route)
    {
        for (var i = 0; i < routes.Count; i++)
            if (ReferenceEquals(routes[i], route)) return i;
        return 0;
    }

    private static ClusterViewResponse ReadView(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload);
        return ClusterViewResponse.ReadFrom(ref reader);
    }

    private async Task RefreshQuietlyAsync()
    {
        await Task.Yield(); // never run the refresh on the failing request's stack
        try
        {
            await RefreshAsync(_stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is CometException or OperationCanceledException or ObjectDisposedException)
        {
            // The next request failure or the periodic refresh tries again; requests meanwhile use the current map.
        }
    }

    private async Task RefreshPeriodicallyAsync()
    {
        using var timer = new PeriodicTimer(_period);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                await RefreshQuietlyAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // disposed
        }
    }
}
