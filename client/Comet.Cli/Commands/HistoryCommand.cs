using System.CommandLine;
using System.Globalization;
using Comet.Abstractions.Protocol;
using Comet.Cli.Output;
using Comet.Client;

namespace Comet.Cli.Commands;

/// <summary><c>comet history &lt;key&gt;</c>: the versions the replicas keep, newest first, as a table or <c>--json</c>.</summary>
internal static class HistoryCommand
{
    public static Command Create(CliContext cli, GlobalOptions globals)
    {
        var key = new Argument<string>("key") { Description = "The key" };
        var json = new Option<bool>("--json") { Description = "Print the versions as JSON (values and code in full)" };
        var command = new Command("history", "List the kept versions of a key, newest first") { key, json };
        command.SetAction((parse, cancellationToken) => CliRunner.RunAsync(cli, async ct =>
        {
            var name = parse.GetRequiredValue(key);
            globals.CheckKey(parse, name);
            var client = await CliRunner.ConnectAsync(cli, parse, globals, ct).ConfigureAwait(false);
            await using (client.ConfigureAwait(false))
            {
                var entries = await client.HistoryAsync(name, new HistoryOptions { Namespace = globals.NamespaceOf(parse) }, ct).ConfigureAwait(false);
                if (parse.GetValue(json)) JsonOutput.WriteHistory(cli.Out, entries);
                else WriteTable(cli, entries);
            }
            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }

    private static void WriteTable(CliContext cli, IReadOnlyList<CometHistoryEntry> entries)
    {
        var table = new TableOutput("VERSION", "KIND", "LIVE", "WRITTEN (UTC)", "EXPIRES (UTC)", "VALUE");
        foreach (var entry in entries)
        {
            table.Add(
                entry.Version,
                JsonOutput.KindName(entry.Kind),
                entry.Live ? "yes" : "no",
                Time(entry.WrittenAt),
                entry.ExpiresAt is { } expires ? Time(expires) : "never",
                Preview(entry));
        }
        table.WriteTo(cli);
    }

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture);

    private static string Preview(CometHistoryEntry entry)
    {
        if (entry.Kind == ObjectKind.Tombstone) return "(deleted)";
        // History is metadata only on the Orleans grid; `comet get <key> --version <id>` reads a kept value.
        return entry.DataKept ? $"({entry.Size} bytes)" : $"({entry.Size} bytes, value not kept)";
    }
}
