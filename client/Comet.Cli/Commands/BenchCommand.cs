using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Security.Cryptography;
using Comet.Cli.Bench;
using Comet.Cli.Output;
using Comet.Client;
using Spectre.Console;

namespace Comet.Cli.Commands;

/// <summary>
/// <c>comet bench</c>: loads <c>--keys</c> keys, then runs <c>--ops</c> gets and puts (<c>--reads</c> percent gets) from
/// <c>--concurrency</c> workers through the SDK, and prints throughput and latency per phase. Its keys get a lifetime
/// (<c>--ttl</c>, default 600 s), so a benchmark leaves nothing behind for long.
/// </summary>
internal static class BenchCommand
{
    /// <summary>Lifetime of the benchmark's keys when <c>--ttl</c> is not given.</summary>
    public const int DefaultTtlSeconds = 600;

    public static Command Create(CliContext cli, GlobalOptions globals)
    {
        var ops = Positive(new Option<int>("--ops") { Description = "Gets and puts to run after the load", DefaultValueFactory = _ => 10_000, HelpName = "count" });
        var concurrency = Positive(new Option<int>("--concurrency", "-c") { Description = "Operations in flight at once", DefaultValueFactory = _ => 16, HelpName = "count" });
        var keys = Positive(new Option<int>("--keys") { Description = "Keys loaded first, then read and overwritten at random", DefaultValueFactory = _ => 1000, HelpName = "count" });
        var valueBytes = new Option<int>("--value-bytes") { Description = "Size of each value", DefaultValueFactory = _ => 100, HelpName = "bytes" };
        valueBytes.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) r.AddError("--value-bytes must not be negative."); });
        var reads = new Option<int>("--reads") { Description = "Percent of the operations that are gets (the rest are puts)", DefaultValueFactory = _ => 90, HelpName = "percent" };
        reads.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 0 or > 100) r.AddError("--reads is a percentage: give 0 to 100."); });
        var maxErrors = Positive(new Option<int>("--max-errors") { Description = "Stop after this many failed operations", DefaultValueFactory = _ => 100, HelpName = "count" });
        var json = new Option<bool>("--json") { Description = "Print the results as JSON" };
        var command = new Command("bench", $"Measure throughput and latency: load --keys keys, then run --ops gets and puts (keys expire after {DefaultTtlSeconds} s unless --ttl)")
        {
            ops, concurrency, keys, valueBytes, reads, maxErrors, json,
        };
        command.SetAction((parse, cancellationToken) => CliRunner.RunAsync(cli, async ct =>
        {
            var plan = new BenchPlan(
                parse.GetValue(ops), parse.GetValue(concurrency), parse.GetValue(keys), parse.GetValue(valueBytes), parse.GetValue(reads),
                parse.GetValue(maxErrors), globals.PutOptionsOf(parse, null), globals.GetOptionsOf(parse, null, null));
            var client = await CliRunner.ConnectAsync(cli, parse, globals, ct).ConfigureAwait(false);
            BenchPhase[] phases;
            await using (client.ConfigureAwait(false))
            {
                phases = await RunAsync(cli, client, plan, ct).ConfigureAwait(false);
            }
            var results = phases.Select(p => p.Result()).ToArray();
            if (parse.GetValue(json)) JsonOutput.WriteBench(cli.Out, plan.Concurrency, plan.Keys, plan.ValueBytes, plan.ReadPercent, results);
            else WriteTable(cli, results);
            return ReportErrors(cli, phases);
        }, cancellationToken));
        return command;
    }

    private static Option<int> Positive(Option<int> option)
    {
        option.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError($"{option.Name} must be at least 1."); });
        return option;
    }

    private sealed record BenchPlan(int Operations, int Concurrency, int Keys, int ValueBytes, int ReadPercent, int MaxErrors, PutOptions Put, GetOptions Get);

    private static async Task<BenchPhase[]> RunAsync(CliContext cli, CometClient client, BenchPlan plan, CancellationToken ct)
    {
        var prefix = "bench-" + RandomNumberGenerator.GetHexString(8, lowercase: true) + "-";
        var value = new byte[plan.ValueBytes];
        Array.Fill(value, (byte)'x');
        var put = plan.Put with { TtlSeconds = plan.Put.TtlSeconds ?? DefaultTtlSeconds };
        var load = new BenchPhase("load", plan.Keys);
        var run = new BenchPhase("run", plan.Operations);
        ValueTask Load(int i, CancellationToken token) => Discard(client.PutAsync(prefix + i.ToString(CultureInfo.InvariantCulture), value, put, token));
        ValueTask Run(int i, CancellationToken token)
        {
            // A hash of the index, not a shared Random: workers pick keys without contending.
            var pick = (uint)HashCode.Combine(i, prefix);
            var key = prefix + (pick % (uint)plan.Keys).ToString(CultureInfo.InvariantCulture);
            return (pick >> 16) % 100 < (uint)plan.ReadPercent
                ? Discard(client.GetAsync(key, plan.Get, token))
                : Discard(client.PutAsync(key, value, put, token));
        }

        if (cli.Progress is not { } console)
        {
            await load.RunAsync(plan.Concurrency, Load, plan.MaxErrors, ct).ConfigureAwait(false);
            if (load.Errors < plan.MaxErrors) await run.RunAsync(plan.Concurrency, Run, plan.MaxErrors, ct).ConfigureAwait(false);
            return load.Errors < plan.MaxErrors ? [load, run] : [load];
        }
        var finished = true;
        await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .StartAsync(async progress =>
            {
                finished = await ShowAsync(progress.AddTask($"load {plan.Keys} keys", maxValue: plan.Keys), load, Load).ConfigureAwait(false);
                if (finished) await ShowAsync(progress.AddTask($"run {plan.Operations} ops", maxValue: plan.Operations), run, Run).ConfigureAwait(false);
            }).ConfigureAwait(false);
        return finished ? [load, run] : [load];

        async Task<bool> ShowAsync(ProgressTask task, BenchPhase phase, Func<int, CancellationToken, ValueTask> operation)
        {
            var running = phase.RunAsync(plan.Concurrency, operation, plan.MaxErrors, ct);
            while (await Task.WhenAny(running, Task.Delay(100, CancellationToken.None)).ConfigureAwait(false) != running) task.Value = phase.Completed;
            await running.ConfigureAwait(false);
            task.Value = phase.Completed;
            task.StopTask();
            return phase.Errors < plan.MaxErrors;
        }
    }

    private static async ValueTask Discard<T>(ValueTask<T> operation) => await operation.ConfigureAwait(false);

    private static void WriteTable(CliContext cli, BenchResult[] results)
    {
        var table = new TableOutput("PHASE", "OPS", "ERRORS", "SECONDS", "OPS/S", "P50 MS", "P99 MS", "MAX MS").RightAlign(1, 2, 3, 4, 5, 6, 7);
        foreach (var r in results)
        {
            table.Add(r.Phase, Number(r.Operations), Number(r.Errors), r.Seconds.ToString("0.00", CultureInfo.InvariantCulture),
                r.OpsPerSecond.ToString("0", CultureInfo.InvariantCulture), Millis(r.P50Ms), Millis(r.P99Ms), Millis(r.MaxMs));
        }
        table.WriteTo(cli);
    }

    private static string Number(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Millis(double ms) => ms.ToString("0.000", CultureInfo.InvariantCulture);

    /// <summary>Exit 0 when every operation succeeded; otherwise the first failure's error and exit code.</summary>
    private static int ReportErrors(CliContext cli, BenchPhase[] phases)
    {
        var failed = phases.Where(p => p.Errors > 0).ToArray();
        if (failed.Length == 0) return ExitCodes.Ok;
        var first = failed[0].FirstError!;
        var counts = string.Join(", ", failed.SelectMany(p => p.ErrorsByCode).GroupBy(e => e.Key)
            .Select(g => $"{g.Sum(e => e.Value)} {g.Key}"));
        var total = phases.Sum(p => p.Completed);
        var stopped = failed.Any(p => p.Completed < p.Operations) ? " (stopped at --max-errors)" : "";
        cli.WriteError(first.Code.ToString(), $"{failed.Sum(p => p.Errors)} of {total} operations failed{stopped}: {counts}. First: {first.Message}");
        return ExitCodes.Of(first.Code);
    }
}
