using System.Text;
using Comet.Cli;
using Spectre.Console;

namespace Comet.Client.Tests.Cli;

/// <summary>One in-process run of <c>comet</c>: exit code and what it wrote.</summary>
internal sealed record CliRun(int ExitCode, string Stdout, string Stderr)
{
    public static async Task<CliRun> RunAsync(string[] args, string? stdin = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        using var input = new MemoryStream(Encoding.UTF8.GetBytes(stdin ?? ""));
        var exit = await CliApp.RunAsync(args, stdout, stderr, input, name => environment?.GetValueOrDefault(name));
        return new CliRun(exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>A run as on a terminal: stdout is <paramref name="terminalWidth"/> columns wide, progress goes to <paramref name="progress"/>.</summary>
    public static async Task<CliRun> RunOnTerminalAsync(string[] args, int terminalWidth, IAnsiConsole? progress = null)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var cli = new CliContext(stdout, stderr, Stream.Null, _ => null) { TerminalWidth = terminalWidth, Progress = progress };
        var exit = await CliApp.RunAsync(args, cli);
        return new CliRun(exit, stdout.ToString(), stderr.ToString());
    }

    public static Task<CliRun> RunAsync(params string[] args) => RunAsync(args, stdin: null);

    public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
}
