using System.CommandLine;
using System.Globalization;
using Comet.Cli.Output;

namespace Comet.Cli.Commands;

/// <summary><c>comet cluster</c>: the live silos as the gateway's membership view lists them.</summary>
internal static class ClusterCommand
{
    public static Command Create(CliContext cli, GlobalOptions globals)
    {
        var command = new Command("cluster", "List the cluster's silos: id, host, gateway port, http port, status");
        command.SetAction((parse, cancellationToken) => CliRunner.RunAsync(cli, async ct =>
        {
            var client = await CliRunner.ConnectAsync(cli, parse, globals, ct).ConfigureAwait(false);
            await using (client.ConfigureAwait(false))
            {
                var silos = await client.GetClusterAsync(ct).ConfigureAwait(false);
                var table = new TableOutput("ID", "HOST", "GATEWAY", "HTTP", "STATUS");
                foreach (var silo in silos.OrderBy(s => s.Id, StringComparer.Ordinal))
                {
                    table.Add(silo.Id, silo.Host, silo.GatewayPort.ToString(CultureInfo.InvariantCulture),
                        silo.HttpPort < 0 ? "-" : silo.HttpPort.ToString(CultureInfo.InvariantCulture), silo.Status);
                }
                table.WriteTo(cli);
            }
            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }
}
