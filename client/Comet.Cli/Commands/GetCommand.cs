using System.CommandLine;
using System.Text;
using Comet.Abstractions.Protocol;
using Comet.Cli.Output;

namespace Comet.Cli.Commands;

/// <summary>
/// <c>comet get &lt;key&gt;</c>: a passive value's bytes raw on stdout; an ASO's answer as JSON; siblings as a JSON list
/// (with the context to resolve them on stderr); <c>--json</c> for everything as one JSON object.
/// </summary>
internal static class GetCommand
{
    public static Command Create(CliContext cli, GlobalOptions globals)
    {
        var key = new Argument<string>("key") { Description = "The key" };
        var version = new Option<string?>("--version") { Description = "Read this kept version (an id from put or history)", HelpName = "id" };
        var args = GlobalOptions.ArgsOption();
        var json = new Option<bool>("--json") { Description = "Print the versions, kinds and causal context as JSON" };
        var command = new Command("get", "Read a key: a value's bytes raw, an ASO's onGet answer as JSON, siblings as a JSON list") { key, version, args, json };
        command.SetAction((parse, cancellationToken) => CliRunner.RunAsync(cli, async ct =>
        {
            var name = parse.GetRequiredValue(key);
            globals.CheckKey(parse, name);
            var options = globals.GetOptionsOf(parse, parse.GetValue(version), parse.GetValue(args));
            var client = await CliRunner.ConnectAsync(cli, parse, globals, ct).ConfigureAwait(false);
            await using (client.ConfigureAwait(false))
            {
                var result = await client.GetAsync(name, options, ct).ConfigureAwait(false);
                if (parse.GetValue(json))
                {
                    JsonOutput.WriteGetResult(cli.Out, result);
                }
                else if (result.HasSiblings)
                {
                    JsonOutput.WriteVersions(cli.Out, result.Versions);
                    await cli.Error.WriteLineAsync(
                        $"note: '{name}' has {result.Versions.Count} concurrent versions (siblings); resolve them with: comet put {name} <merged value> --context {result.Context}").ConfigureAwait(false);
                }
                else if (result.Value.Kind == ObjectKind.Aso)
                {
                    await cli.Out.WriteLineAsync(Encoding.UTF8.GetString(result.Value.Bytes.Span)).ConfigureAwait(false);
                }
                else
                {
                    await RawOutput.WriteAsync(cli.Out, result.Value.Bytes, ct).ConfigureAwait(false);
                }
            }
            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }
}
