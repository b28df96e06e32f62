using Comet.Grid.Hosting;
using Microsoft.Extensions.Logging;

namespace Comet.Grid.Membership;

/// <summary>
/// Probes this silo's successors (the next <see cref="SiloOptions.ProbedSuccessors"/> live silos
/// in silo-id order, wrapping round) every <see cref="SiloOptions.ProbePeriod"/>. After
/// <see cref="SiloOptions.MissedProbesLimit"/> missed probes in a row it votes the silo dead in
/// the membership table; the votes of several probers declare it dead (Orleans's scheme). With
/// the defaults a crashed silo on loopback is declared dead in about four seconds.
/// </summary>
public sealed partial class FailureDetector : IAsyncDisposable
{
    private readonly SiloOptions _options;
    private readonly MembershipService _membership;
    private readonly Func<string, CancellationToken, ValueTask> _probe;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<string, int> _missed = new(StringComparer.Ordinal);
    private PeriodicLoop? _loop;

    /// <param name="probe">Pings one silo; throws when it does not answer.</param>
    public FailureDetector(SiloOptions options, MembershipService membership, Func<string, CancellationToken, ValueTask> probe, TimeProvider time, ILogger logger)
    {
        _options = options;
        _membership = membership;
        _probe = probe;
        _time = time;
        _logger = logger;
    }

    /// <summary>Probes sent and missed since start (for the admin view and the notes).</summary>
    public long ProbesSent => Interlocked.Read(ref _sent);

    public long ProbesMissed => Interlocked.Read(ref _failed);

    private long _sent;
    private long _failed;

    public void Start() => _loop = PeriodicLoop.Start(_options.ProbePeriod, _time, ProbeRoundAsync, ex => LogRoundFailed(_logger, _options.SiloId, ex));

    /// <summary>The silos this silo watches in <paramref name="view"/>.</summary>
    public static IReadOnlyList<string> TargetsOf(MembershipView view, string self, int successors)
    {
        var ring = view.Live.Order(StringComparer.Ordinal).ToList();
        var at = ring.IndexOf(self);
        var targets = new List<string>();
        for (var step = 1; step < ring.Count && targets.Count < successors; step++)
            targets.Add(ring[(at + step) % ring.Count]);
        return targets;
    }

    /// <summary>One probe round: pings every target at once and votes against those that missed too many.</summary>
    public async Task ProbeRoundAsync(CancellationToken ct)
    {
        if (_membership.DeclaredDead) return; // cut off: our votes would only be noise
        var targets = TargetsOf(_membership.View, _options.SiloId, _options.ProbedSuccessors);
        foreach (var gone in _missed.Keys.Except(targets).ToList()) _missed.Remove(gone);
        var results = await Task.WhenAll(targets.Select(t => ProbeAsync(t, ct))).ConfigureAwait(false);
        for (var i = 0; i < targets.Count; i++)
        {
            var target = targets[i];
            if (results[i])
            {
                _missed.Remove(target);
                continue;
            }
            var missed = _missed.GetValueOrDefault(target) + 1;
            _missed[target] = missed;
            LogMissed(_logger, _options.SiloId, target, missed);
            if (missed >= _options.MissedProbesLimit) await _membership.SuspectAsync(target, ct).ConfigureAwait(false);
        }
    }

    private async Task<bool> ProbeAsync(string target, CancellationToken ct)
    {
        Interlocked.Increment(ref _sent);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.ProbeTimeout);
        try
        {
            await _probe(target, timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // any failure to answer is a missed probe
        catch (Exception)
#pragma warning restore CA1031
        {
            Interlocked.Increment(ref _failed);
            return false;
        }
    }

    public ValueTask DisposeAsync() => _loop?.DisposeAsync() ?? ValueTask.CompletedTask;

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Silo}: probe of {Target} missed ({Missed} in a row)")]
    private static partial void LogMissed(ILogger logger, string silo, string target, int missed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Silo}: a probe round failed; the next one retries")]
    private static partial void LogRoundFailed(ILogger logger, string silo, Exception ex);
}
