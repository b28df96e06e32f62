using System.CommandLine;
using Comet.Cli.Input;
using Comet.Cli.Output;

namespace Comet.Cli.Commands;

/// <summary><c>comet aso &lt;key&gt; &lt;file.lua&gt;</c>: store an Active Storage Object from its Lua source.</summary>
internal static class AsoCommand
{
    public static Command Create(CliContext cli, GlobalOptions globals)
    {
        var key = new Argument<string>("key") { Description = "The key (UTF-8, 1..1024 bytes)" };
        var source = new Argument<string>("file.lua") { Description = "The ASO's Lua source file; '-' reads stdin" };
        var args = GlobalOptions.ArgsOption();
        var command = new Command("aso", "Store an Active Storage Object (Lua code + state) under a key") { key, source, args };
        command.SetAction((parse, cancellationToken) => CliRunner.RunAsync(cli, async ct =>
        {
            var name = parse.GetRequiredValue(key);
            globals.CheckKey(parse, name);
            var code = await ValueInput.ReadSourceAsync(cli, parse.GetRequiredValue(source), ct).ConfigureAwait(false);
            var options = globals.PutOptionsOf(parse, parse.GetValue(args));
            var client = await CliRunner.ConnectAsync(cli, parse, globals, ct).ConfigureAwait(false);
            await using (client.ConfigureAwait(false))
            {
                var result = await client.PutAsoAsync(name, code, options, ct).ConfigureAwait(false);
                ResultText.WritePut(cli.Out, result);
            }
            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }
}
