using System.Text;
using Comet.Cli;

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
    return await CliApp.RunAsync(args, stdout, Console.Error, Console.OpenStandardInput(), cancellation.Token).ConfigureAwait(false);
}
