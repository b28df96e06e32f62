using System.CommandLine;
using Comet.Cli.Output;

namespace Comet.Cli.Commands;

/// <summary><c>comet del &lt;key&gt;</c>: delete a key (a tombstone version hides what it replaces).</summary>
internal static class DeleteCommand
{
    public static Command Create(CliContext cli, GlobalOptions globals)
    {
        var key = new Argument<string>("key") { Description = "The key" };
        var args = GlobalOptions.ArgsOption();
        var command = new Command("del", "Delete a key") { key, args };
        command.SetAction((parse, cancellationToken) => CliRunner.RunAsync(cli, async ct =>
        {
            var name = parse.GetRequiredValue(key);
            globals.CheckKey(parse, name);
            var options = globals.DeleteOptionsOf(parse, parse.GetValue(args));
            var client = await CliRunner.ConnectAsync(cli, parse, globals, ct).ConfigureAwait(false);
            await using (client.ConfigureAwait(false))
            {
                var result = await client.DeleteAsync(name, options, ct).ConfigureAwait(false);
                ResultText.WriteDelete(cli.Out, name, result);
            }
            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }
}
