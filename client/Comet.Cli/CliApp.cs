using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using Comet.Abstractions.Errors;
using Comet.Cli.Commands;

namespace Comet.Cli;

/// <summary>
/// The <c>comet</c> command line, runnable in-process: <see cref="Program"/> passes the process's streams, tests pass
/// their own. Parse errors are bad input (exit 4) reported like every other error: <c>error: &lt;Code&gt;: &lt;message&gt;</c>.
/// </summary>
internal static class CliApp
{
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, Stream stdin, CancellationToken cancellationToken = default) =>
        RunAsync(args, stdout, stderr, stdin, Environment.GetEnvironmentVariable, cancellationToken);

    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, Stream stdin,
        Func<string, string?> environment, CancellationToken cancellationToken = default) =>
        RunAsync(args, new CliContext(stdout, stderr, stdin, environment), cancellationToken);

    public static async Task<int> RunAsync(string[] args, CliContext cli, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(cli);
        var stdout = cli.Out;
        var stderr = cli.Error;
        var root = BuildRoot(cli);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is not { ClearsParseErrors: true })
        {
            foreach (var error in parse.Errors) cli.WriteError(nameof(CometErrorCode.BadRequest), error.Message);
            await stderr.WriteLineAsync("Run 'comet --help' (or 'comet <command> --help') for usage.").ConfigureAwait(false);
            return ExitCodes.BadInput;
        }
        var invocation = new InvocationConfiguration
        {
            Output = stdout,
            Error = stderr,
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = null, // Program wires Ctrl+C to the cancellation token itself
        };
        return await parse.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// One example per command, shown by <c>comet --help</c> and on the command's own help page. A new command is one
    /// more <c>root.Add(XCommand.Create(cli, globals))</c> and one more example here (a test checks that each has one).
    /// </summary>
    internal static readonly IReadOnlyList<(string Command, string Example)> Examples =
    [
        ("put", "comet put greeting hello --ttl 3600"),
        ("get", "comet get greeting"),
        ("get", "comet get secret --args '{\"password\":\"s3cret\"}'"),
        ("del", "comet del greeting"),
        ("aso", "comet aso secret samples/asos/one_time_value.lua"),
        ("history", "comet history greeting --json"),
        ("cluster", "comet cluster --gateway 127.0.0.1:30000"),
        ("bench", "comet bench --keys 1000 --ops 20000 --concurrency 32 --reads 90"),
    ];

    /// <summary>The command tree.</summary>
    internal static RootCommand BuildRoot(CliContext cli)
    {
        var globals = new GlobalOptions();
        var root = new RootCommand("comet: use a CometGrains cluster (an active key/value store) from the command line.");
        globals.AddTo(root);
        root.Add(PutCommand.Create(cli, globals));
        root.Add(GetCommand.Create(cli, globals));
        root.Add(DeleteCommand.Create(cli, globals));
        root.Add(AsoCommand.Create(cli, globals));
        root.Add(HistoryCommand.Create(cli, globals));
        root.Add(ClusterCommand.Create(cli, globals));
        root.Add(BenchCommand.Create(cli, globals));
        foreach (var option in root.Options)
        {
            if (option is HelpOption { Action: HelpAction help } helpOption) helpOption.Action = new HelpWithExitCodes(help);
        }
        return root;
    }

    /// <summary>The default help, plus examples: every command's on the root page with the exit codes and environment, its own on a command's page.</summary>
    private sealed class HelpWithExitCodes : SynchronousCommandLineAction
    {
        private readonly HelpAction _help;

        public HelpWithExitCodes(HelpAction help) => _help = help;

        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            var result = _help.Invoke(parseResult);
            var output = parseResult.InvocationConfiguration.Output;
            var command = parseResult.CommandResult.Command;
            if (command is not RootCommand)
            {
                output.WriteLine("Example:");
                foreach (var (name, example) in Examples) if (name == command.Name) output.WriteLine($"  {example}");
                output.WriteLine();
            }
            else
            {
                output.WriteLine("Examples:");
                foreach (var (_, example) in Examples) output.WriteLine($"  {example}");
                output.WriteLine();
                output.WriteLine("Exit codes:");
                foreach (var (code, meaning) in ExitCodes.Documentation) output.WriteLine($"  {code}  {meaning}");
                output.WriteLine();
                output.WriteLine("Errors go to stderr as 'error: <Code>: <message>'.");
                output.WriteLine($"Environment: {GlobalOptions.GatewayVariable}=host:port[,host:port] names the gateways when --gateway is not given.");
                output.WriteLine();
            }
            return result;
        }
    }
}
