using System.CommandLine;
using Comet.Cli.Input;
using Comet.Cli.Output;

namespace Comet.Cli.Commands;

/// <summary><c>comet put &lt;key&gt; [value]</c>: store a passive value from the argument, a file, or stdin.</summary>
internal static class PutCommand
{
    public static Command Create(CliContext cli, GlobalOptions globals)
    {
        var key = new Argument<string>("key") { Description = "The key (UTF-8, 1..1024 bytes)" };
        var value = new Argument<string?>("value") { Description = "The value as UTF-8 text; '-' reads stdin", Arity = ArgumentArity.ZeroOrOne };
        var file = new Option<string?>("--file", "-f") { Description = "Read the value's bytes from this file", HelpName = "path" };
        var args = GlobalOptions.ArgsOption();
        var command = new Command("put", "Store a passive value under a key") { key, value, file, args };
        command.SetAction((parse, cancellationToken) => CliRunner.RunAsync(cli, async ct =>
        {
            var name = parse.GetRequiredValue(key);
            globals.CheckKey(parse, name);
            var bytes = await ValueInput.ReadValueAsync(cli, parse.GetValue(value), parse.GetValue(file), ct).ConfigureAwait(false);
            var options = globals.PutOptionsOf(parse, parse.GetValue(args));
            var client = await CliRunner.ConnectAsync(cli, parse, globals, ct).ConfigureAwait(false);
            await using (client.ConfigureAwait(false))
            {
                var result = await client.PutAsync(name, bytes, options, ct).ConfigureAwait(false);
                ResultText.WritePut(cli.Out, result);
            }
            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }
}
