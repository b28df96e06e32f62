using System.CommandLine;
using System.Globalization;
using System.Text;
using Comet.Abstractions.Protocol;
using Comet.Cli.Output;
using Comet.Client;

namespace Comet.Cli.Commands;

/// <summary><c>comet history &lt;key&gt;</c>: the versions the replicas keep, newest first, as a table or <c>--json</c>.</summary>
internal static class HistoryCommand
{
    private const int PreviewChars = 40;

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
        var code = entry.Code is null ? "" : $"(lua, {Encoding.UTF8.GetByteCount(entry.Code)} bytes) ";
        if (entry.Value is not { } value) return code + "(value not kept)";
        var text = JsonOutput.TryText(value.Span);
        if (text is null) return code + $"({value.Length} bytes, binary)";
        var shown = new StringBuilder(Math.Min(text.Length, PreviewChars) + 3);
        foreach (var c in text)
        {
            if (shown.Length >= PreviewChars)
            {
                shown.Append('…');
                break;
            }
            shown.Append(char.IsControl(c) ? ' ' : c);
        }
        return code + shown;
    }
}
