using System.Globalization;
using Comet.History.Tests.Checking;
using Comet.History.Tests.Nemeses;
using Xunit.Abstractions;

namespace Comet.History.Tests.Runs;

/// <summary>
/// The checker against real silo processes: REST and SDK clients doing read-modify-write cycles while silos start,
/// die, freeze, join and leave. No acknowledged write may be lost, no value appear that nobody wrote, and no
/// siblings arise between writes a client ordered.
/// </summary>
public sealed class GridHistoryTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_minute_of_read_modify_write_cycles_through_start_up_kill_9_and_SIGSTOP_loses_no_acknowledged_write_and_shows_no_phantom_or_bad_sibling()
    {
        // Issue 14's contention: clients on a few keys at a time, so that puts with the same context race each other.
        await using var run = new HistoryRun(new RunOptions { Silos = 3, RestClients = 6, SdkClients = 2, KeysPerGeneration = 4 });
        var random = new Random(14);
        await run.RunPhaseAsync(NemesisPhases.StartUp(TimeSpan.FromSeconds(12), "silo-1", "silo-2", "silo-3"));
        await run.RunPhaseAsync(NemesisPhases.Named("kill", TimeSpan.FromSeconds(14), random));
        await run.RunPhaseAsync(NemesisPhases.Named("freeze", TimeSpan.FromSeconds(16), random));
        var result = await run.FinishAsync();

        var report = run.Report(result, "History check: CI short run (start-up under load, kill -9, SIGSTOP)");
        output.WriteLine(report);
        await File.WriteAllTextAsync(Path.Combine(run.Grid.Directory, "history-report.md"), report);
        await File.WriteAllTextAsync(Path.Combine(run.Grid.Directory, "violated-keys.txt"), HistoryReport.ViolatedKeys(result));
        Assert.True(result.AcknowledgedWrites > 200, $"only {result.AcknowledgedWrites} writes were acknowledged");
        AssertClean(result);
    }

    /// <summary>
    /// The soak (README, Reliability): <c>COMET_HISTORY_SOAK_MINUTES=10 dotnet test tests/Comet.History.Tests -c Release
    /// --filter Soak</c>. Phases of <c>COMET_HISTORY_NEMESES</c> (default: every nemesis) in turn after a start-up under
    /// load, until the time is up; the report goes to the test output and to <c>COMET_HISTORY_REPORT</c> (default: the
    /// run directory's <c>history-report.md</c>). Skipped unless the variable is set.
    /// </summary>
    [SoakFact]
    public async Task Soak_with_every_nemesis_loses_no_acknowledged_write_and_shows_no_phantom_or_bad_sibling()
    {
        var minutes = double.Parse(Environment.GetEnvironmentVariable(SoakFactAttribute.Variable)!, CultureInfo.InvariantCulture);
        var nemeses = (Environment.GetEnvironmentVariable("COMET_HISTORY_NEMESES") ?? string.Join(',', NemesisPhases.All))
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var phaseLoad = TimeSpan.FromSeconds(double.Parse(Environment.GetEnvironmentVariable("COMET_HISTORY_PHASE_SECONDS") ?? "35", CultureInfo.InvariantCulture));
        await using var run = new HistoryRun(new RunOptions
        {
            Silos = 5,
            RestClients = int.Parse(Environment.GetEnvironmentVariable("COMET_HISTORY_REST_CLIENTS") ?? "6", CultureInfo.InvariantCulture),
            SdkClients = int.Parse(Environment.GetEnvironmentVariable("COMET_HISTORY_SDK_CLIENTS") ?? "2", CultureInfo.InvariantCulture),
            KeysPerGeneration = int.Parse(Environment.GetEnvironmentVariable("COMET_HISTORY_KEYS") ?? "32", CultureInfo.InvariantCulture),
        });
        var random = new Random(1414);
        var end = TimeSpan.FromMinutes(minutes);
        await run.RunPhaseAsync(NemesisPhases.StartUp(TimeSpan.FromSeconds(15), "silo-1", "silo-2", "silo-3"));
        for (var i = 0; run.Clock.Now + phaseLoad < end; i++)
            await run.RunPhaseAsync(NemesisPhases.Named(nemeses[i % nemeses.Length], phaseLoad, random));
        var result = await run.FinishAsync();

        var report = run.Report(result, $"History check: soak of {minutes:0.#} minutes ({string.Join(", ", nemeses)})");
        output.WriteLine(report);
        var path = Environment.GetEnvironmentVariable("COMET_HISTORY_REPORT") ?? Path.Combine(run.Grid.Directory, "history-report.md");
        await File.WriteAllTextAsync(path, report);
        await File.WriteAllTextAsync(Path.Combine(run.Grid.Directory, "violated-keys.txt"), HistoryReport.ViolatedKeys(result));
        output.WriteLine($"report written to {path}; the whole history of every key with a violation to {run.Grid.Directory}/violated-keys.txt");
        AssertClean(result);
    }

    /// <summary>
    /// Real partitions (part of the soak): silo processes in network namespaces of their own, links to the bridge cut
    /// (<c>ip link set down</c>) or slowed (<c>tc qdisc tbf</c>). <c>COMET_HISTORY_PARTITION_MINUTES</c> long (default 3),
    /// REST clients only (the SDK's sockets cannot be put into the namespaces). Needs root and <c>ip</c>/<c>tc</c>.
    /// </summary>
    [SoakFact]
    public async Task Soak_with_network_partitions_between_silo_processes_loses_no_acknowledged_write_and_shows_no_phantom_or_bad_sibling()
    {
        var minutes = double.Parse(Environment.GetEnvironmentVariable("COMET_HISTORY_PARTITION_MINUTES") ?? "3", CultureInfo.InvariantCulture);
        var phaseLoad = TimeSpan.FromSeconds(double.Parse(Environment.GetEnvironmentVariable("COMET_HISTORY_PHASE_SECONDS") ?? "35", CultureInfo.InvariantCulture));
        var options = new RunOptions
        {
            Silos = 3,
            RestClients = int.Parse(Environment.GetEnvironmentVariable("COMET_HISTORY_REST_CLIENTS") ?? "6", CultureInfo.InvariantCulture),
            SdkClients = 0,
            KeysPerGeneration = 32,
        };
        await using var run = new HistoryRun(options, clock => new NamespacedGrid(options.Silos, clock));
        var random = new Random(1415);
        var end = TimeSpan.FromMinutes(minutes);
        await run.RunPhaseAsync(NemesisPhases.StartUp(TimeSpan.FromSeconds(15), "silo-1", "silo-2", "silo-3"));
        for (var i = 0; run.Clock.Now + phaseLoad < end; i++)
            await run.RunPhaseAsync(PartitionPhases.Named(PartitionPhases.All[i % PartitionPhases.All.Length], phaseLoad, random));
        var result = await run.FinishAsync();

        var report = run.Report(result, $"History check: network partitions for {minutes:0.#} minutes (silos in network namespaces)");
        output.WriteLine(report);
        var path = Environment.GetEnvironmentVariable("COMET_HISTORY_PARTITION_REPORT") ?? Path.Combine(run.Grid.Directory, "history-report.md");
        await File.WriteAllTextAsync(path, report);
        await File.WriteAllTextAsync(Path.Combine(run.Grid.Directory, "violated-keys.txt"), HistoryReport.ViolatedKeys(result));
        output.WriteLine($"report written to {path}; the whole history of every key with a violation to {run.Grid.Directory}/violated-keys.txt");
        AssertClean(result);
    }

    /// <summary>What every run must show: no acknowledged write lost, no phantom, no siblings one of which covers the other.</summary>
    private static void AssertClean(CheckResult result)
    {
        Assert.True(result.Lost.Count == 0, $"{result.Lost.Count} acknowledged writes lost; see the report");
        Assert.True(result.Phantoms.Count == 0, $"{result.Phantoms.Count} phantom values; see the report");
        Assert.True(result.BadSiblings.Count == 0, $"{result.BadSiblings.Count} bad siblings; see the report");
        Assert.Empty(result.Problems);
    }
}

/// <summary>A test that runs only when <see cref="Variable"/> (the soak's length in minutes) is set.</summary>
public sealed class SoakFactAttribute : FactAttribute
{
    public const string Variable = "COMET_HISTORY_SOAK_MINUTES";

    public SoakFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Variable)))
            Skip = $"the soak runs only with {Variable} set (e.g. {Variable}=10 dotnet test tests/Comet.History.Tests -c Release --filter Soak)";
    }
}
