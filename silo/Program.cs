using Comet.Silo;
using Microsoft.Extensions.Hosting;

// `dotnet run --project silo` starts a local cluster of 3 silos in this process on ./data/comet.db
// (dev mode); with --silo-id it starts one silo of a multi-process cluster. See SiloCommandLine.
var builder = Host.CreateApplicationBuilder(args);
builder.Configuration.AddCometCommandLine(args);
builder.Services.AddCometSilos(builder.Configuration);
using var host = builder.Build();
await host.RunAsync().ConfigureAwait(false);
