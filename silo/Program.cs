using Comet.Silo;
using Microsoft.Extensions.Hosting;

// `dotnet run --project silo` starts a local cluster of 3 silos in this process on ./data/comet.db
// (dev mode); with --silo-id it starts one silo of a multi-process cluster. `--help` lists the flags;
// a mistake on the command line exits 2 before anything starts.
var command = SiloCommandLine.Parse(args, Console.Out, Console.Error);
if (!command.ShouldStart) return command.ExitCode!.Value;

var builder = command.CreateHostBuilder();
builder.Services.AddCometSilos(builder.Configuration);
using var host = builder.Build();
await host.RunAsync().ConfigureAwait(false);
return 0;
