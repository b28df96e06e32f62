using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Comet.Client;
using Comet.History.Tests.Checking;
using Comet.History.Tests.Nemeses;
using Comet.History.Tests.Recording;

namespace Comet.History.Tests.Runs;

/// <summary>One phase of a run: the workload runs on fresh keys for at least <see cref="Load"/> while <see cref="Nemesis"/> does its faults.</summary>
internal sealed record Phase(string Name, TimeSpan Load, Func<IGrid, Task> Nemesis);

/// <summary>What one phase did and how long the grid took to agree on its keys once its load stopped.</summary>
internal sealed record PhaseReport(string Name, int Faults, int Operations, int Acknowledged, TimeSpan LoadTime, bool Converged, TimeSpan SinceLoadStopped, TimeSpan SinceHealed, int Keys);

/// <summary>Sizes of a run.</summary>
internal sealed record RunOptions
{
    /// <summary>Silo slots (silo-1..N, each with fixed ports); the phases decide which run.</summary>
    public int Silos { get; init; } = 3;

    public int RestClients { get; init; } = 4;

    public int SdkClients { get; init; } = 2;

    public int KeysPerGeneration { get; init; } = 16;

    public TimeSpan GenerationPeriod { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the silos may take to agree on a phase's keys (anti-entropy runs every 30 s; reads with R = N repair).</summary>
    public TimeSpan ConvergenceLimit { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// A checked run: clients (REST and SDK) record every operation while phases of faults run against real silo processes;
/// after each phase the grid must agree on that phase's keys (every silo read with R = N), and at the end every key of
/// the run is read through every silo and the checker judges the whole history.
/// </summary>
internal sealed class HistoryRun(RunOptions options, Func<RunClock, IGrid>? grid = null) : IAsyncDisposable
{
    private readonly string _tag = $"h{DateTime.UtcNow:HHmmss}";
    private readonly List<string> _keys = [];
    private CometClient? _sdk;

    public RunOptions Options { get; } = options;

    public RunClock Clock { get; } = new();

    public RecordedHistory History { get; } = new();

    public List<PhaseReport> Phases { get; } = [];

    private IGrid? _grid;

    /// <summary>The grid: silo processes on loopback (<see cref="Nemeses.Grid"/>) unless the run was given another.</summary>
    public IGrid Grid => _grid ??= grid?.Invoke(Clock) ?? new Grid(Options.Silos, Clock);

    /// <summary>When the final reads found every silo agreeing on every key, after the last phase; null when they never did.</summary>
    public TimeSpan? FinalConvergence { get; private set; }

    private List<IKeyValueClient>? _clients;

    private async Task<IReadOnlyList<IKeyValueClient>> ClientsAsync()
    {
        if (_clients is not null) return _clients;
        _clients = [];
        for (var i = 0; i < Options.RestClients; i++) _clients.Add(new RestKeyValueClient($"r{i + 1}", Grid.Http, Grid.Targets, History, Clock, i));
        if (Options.SdkClients > 0 && Grid.Gateways.Count > 0)
        {
            // Connects in the background: the SDK clients start while the cluster may still be starting.
            _sdk = await CometClient.ConnectAsync(new CometClientOptions
            {
                Gateways = Grid.Gateways,
                AbortOnConnectFail = false,
                RequestTimeout = TimeSpan.FromSeconds(10),
            });
            for (var i = 0; i < Options.SdkClients; i++) _clients.Add(new SdkKeyValueClient($"s{i + 1}", _sdk, History, Clock));
        }
        return _clients;
    }

    public async Task RunPhaseAsync(Phase phase)
    {
        var clients = await ClientsAsync();
        var keys = new KeySpace($"{_tag}-{phase.Name}-{Phases.Count}", Options.KeysPerGeneration, Options.GenerationPeriod, Clock);
        var opsBefore = History.Reads.Count + History.Writes.Count;
        var ackedBefore = History.Writes.Count(w => w.Outcome == Outcome.Ok);
        var faultsBefore = Grid.Faults;
        var started = Clock.Now;
        Grid.Log($"phase {phase.Name} begins");
        using var stop = new CancellationTokenSource();
        var load = new Workload(clients).RunAsync(keys, stop.Token);
        await phase.Nemesis(Grid);
        var rest = phase.Load - (Clock.Now - started);
        if (rest > TimeSpan.Zero) await Task.Delay(rest);
        await stop.CancelAsync();
        await load;
        var stopped = Clock.Now;
        Grid.Log($"phase {phase.Name}: load stopped");
        _keys.AddRange(keys.Used);
        var converged = await ConvergeAsync(keys.Used, final: false);
        Phases.Add(new PhaseReport(phase.Name, Grid.Faults - faultsBefore, History.Reads.Count + History.Writes.Count - opsBefore,
            History.Writes.Count(w => w.Outcome == Outcome.Ok) - ackedBefore, stopped - started, converged is not null,
            (converged ?? Clock.Now) - stopped, (converged ?? Clock.Now) - Grid.LastHealed, keys.Used.Count));
    }

    /// <summary>Every member serving, then the final reads of every key through every silo (R = N) until they agree, and the verdict.</summary>
    public async Task<CheckResult> FinishAsync()
    {
        await Grid.EnsureMembersServeAsync();
        var since = Clock.Now;
        var converged = await ConvergeAsync(_keys, final: true);
        FinalConvergence = converged is null ? null : converged - since;
        return HistoryChecker.Check(History);
    }

    /// <summary>
    /// Reads <paramref name="keys"/> through every member silo with R = N = 3, pass after pass, until every silo answers
    /// the same for every key; returns when (on the run's clock), or null after the limit. Each pass is recorded: as
    /// reads of the history, or (<paramref name="final"/>) as its final reads, of which only the last pass is kept.
    /// </summary>
    private async Task<TimeSpan?> ConvergeAsync(IReadOnlyCollection<string> keys, bool final)
    {
        var deadline = Clock.Now + Options.ConvergenceLimit;
        while (true)
        {
            var silos = Grid.Members.Order(StringComparer.Ordinal).Select(id => (Id: id, Address: Grid.RestOf(id))).ToList();
            var pass = new ConcurrentBag<FinalRead>();
            var timed = new ConcurrentBag<(FinalRead Read, TimeSpan Start, TimeSpan End)>();
            using var gate = new SemaphoreSlim(8);
            await Task.WhenAll(keys.SelectMany(key => silos.Select(silo => (key, silo))).Select(async item =>
            {
                await gate.WaitAsync();
                try
                {
                    var start = Clock.Now;
                    var read = await ReadAllReplicasAsync(item.key, item.silo.Id, item.silo.Address);
                    pass.Add(read);
                    timed.Add((read, start, Clock.Now));
                }
                finally
                {
                    gate.Release();
                }
            }));
            var agreed = pass.GroupBy(r => r.Key).All(g => g.All(r => r.Answered)
                && g.Select(r => string.Join("\n", r.Values.Order(StringComparer.Ordinal))).Distinct().Count() == 1);
            var last = agreed || Clock.Now > deadline;
            if (final && last)
            {
                History.ClearFinal();
                foreach (var read in pass) History.Add(read);
            }
            else if (!final)
            {
                foreach (var (read, start, end) in timed)
                    History.Add(new ReadOp(History.NextId(), "converge", read.Key, "rest " + read.Silo, start, end, read.Status,
                        read.Answered ? Outcome.Ok : Outcome.Indeterminate, read.Values, null, read.Cause));
            }
            if (agreed) return Clock.Now;
            if (last) return null;
            await Task.Delay(500);
        }
    }

    private async Task<FinalRead> ReadAllReplicasAsync(string key, string silo, string rest)
    {
        try
        {
            using var response = await Grid.Http.GetAsync($"{rest}/v1/default/keys/{Uri.EscapeDataString(key)}?n=3&r=3");
            var body = await response.Content.ReadAsStringAsync();
            return response.StatusCode switch
            {
                HttpStatusCode.OK => new FinalRead(key, silo, 200, [body], ""),
                HttpStatusCode.MultipleChoices => new FinalRead(key, silo, 300, Siblings(body), ""),
                HttpStatusCode.NotFound => new FinalRead(key, silo, 404, [], ""),
                _ => new FinalRead(key, silo, (int)response.StatusCode, [], RestKeyValueClient.Cause((int)response.StatusCode, body)),
            };
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return new FinalRead(key, silo, 0, [], ex is TaskCanceledException ? "timeout (10 s)" : "connection: " + ex.GetType().Name);
        }
    }

    private static List<string> Siblings(string body)
    {
        using var doc = JsonDocument.Parse(body);
        return [.. doc.RootElement.EnumerateArray().Select(i => i.TryGetProperty("value", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : i.GetRawText())];
    }

    /// <summary>The run's report: sizes, each phase with its faults and convergence, the verdict, and the fault log.</summary>
    public string Report(CheckResult result, string title)
    {
        ArgumentNullException.ThrowIfNull(result);
        var text = new StringBuilder();
        var seconds = Clock.Now.TotalSeconds.ToString("0", CultureInfo.InvariantCulture);
        text.Append(CultureInfo.InvariantCulture, $"# {title}\n\n{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {seconds} s; {Options.RestClients} REST + {Options.SdkClients} SDK clients, ")
            .Append(CultureInfo.InvariantCulture, $"{Options.KeysPerGeneration} keys per generation of {Options.GenerationPeriod.TotalSeconds:0} s, N=3 R=2 W=2; run directory {Grid.Directory}\n\n");
        text.Append("| phase | faults | load s | ops | acknowledged | keys | converged after load stop | after last heal |\n|---|---|---|---|---|---|---|---|\n");
        foreach (var p in Phases)
            text.Append(CultureInfo.InvariantCulture, $"| {p.Name} | {p.Faults} | {p.LoadTime.TotalSeconds:0} | {p.Operations} | {p.Acknowledged} | {p.Keys} | ")
                .Append(p.Converged ? $"{p.SinceLoadStopped.TotalSeconds:0.0} s" : "NOT CONVERGED").Append(CultureInfo.InvariantCulture, $" | {p.SinceHealed.TotalSeconds:0.0} s |\n");
        text.Append(CultureInfo.InvariantCulture, $"\nfinal reads (every key through every silo, R=N): {(FinalConvergence is { } f ? $"agreed after {f.TotalSeconds:0.0} s" : "NEVER AGREED")}\n\n```\n");
        text.Append(HistoryReport.Summary(result)).Append("```\n\nfaults and phases:\n```\n");
        foreach (var line in Grid.Events) text.Append(line).Append('\n');
        text.Append("```\n");
        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        if (_sdk is not null)
        {
            try
            {
                await _sdk.DisposeAsync();
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The silos may be gone already.
            }
        }
        if (_grid is not null) await _grid.DisposeAsync();
    }
}
