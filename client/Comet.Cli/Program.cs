using System.Text;
using Comet.Cli;
using Spectre.Console;

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true; // let the command stop cleanly and report it
    cancellation.Cancel();
};

// A StreamWriter over the raw stdout stream, so `comet get` can write a value's bytes exactly.
var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = true };
await using (stdout.ConfigureAwait(false))
{
    var cli = new CliContext(stdout, Console.Error, Console.OpenStandardInput(), Environment.GetEnvironmentVariable)
    {
        // Tables get borders on a terminal only; progress (comet bench) is drawn on stderr when that is a terminal.
        TerminalWidth = Console.IsOutputRedirected ? null : TerminalWidth(),
        Progress = Console.IsErrorRedirected ? null : AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) }),
    };
    return await CliApp.RunAsync(args, cli, cancellation.Token).ConfigureAwait(false);
}

static int TerminalWidth()
{
    try
    {
        return Console.WindowWidth > 0 ? Console.WindowWidth : 120;
    }
    catch (IOException)
    {
        return 120;
    }
}
