// A separate OS process that races its siblings on one SQLite file, for the multi-process tests.
//
//   membership <db> <clusterId> <silo> <goFile> <targetVersion>
//       Reads the silo's membership row, increments its UpdateZone and writes it back with
//       UpdateRow(entry, etag, tableVersion.Next()) until the table version reaches the target.
//   grainstate <db> <serviceId> <grainId> <goFile> <targetValue>
//       Reads a grain state (a counter), writes counter + 1 with the ETag it read, until the
//       counter reaches the target.
//
// Prints "ready" once the file is open, then "won <n>" for every write that succeeded (n: the table
// version or counter value it produced), then "done <wins> <losses>".
using System.Globalization;
using Comet.Persistence.Sqlite;
using Comet.Persistence.Sqlite.Tests.Writer;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Storage;

var mode = args[0];
var dataSource = args[1];
var scope = args[2];
var subject = args[3];
var goFile = args[4];
var target = long.Parse(args[5], CultureInfo.InvariantCulture);
long wins = 0, losses = 0;

if (mode == "membership")
{
    using var table = new SqliteMembershipTable(
        Options.Create(new SqliteClusteringOptions { DataSource = dataSource }),
        Options.Create(new ClusterOptions { ClusterId = scope, ServiceId = "writer" }),
        NullLogger<SqliteMembershipTable>.Instance);
    await table.InitializeMembershipTable(true);
    var silo = SiloAddress.FromParsableString(subject);
    // Warm up (JIT, connection) so that no process gets a head start from a faster cold start.
    await table.ReadRow(silo);
    await StartTogetherAsync(goFile);
    while (true)
    {
        var data = await table.ReadRow(silo);
        if (data.Version.Version >= target)
            break;
        var (entry, etag) = data.Members[0];
        entry.UpdateZone++;
        var next = data.Version.Next();
        if (await table.UpdateRow(entry, etag, next))
        {
            wins++;
            Console.WriteLine($"won {next.Version}");
        }
        else
        {
            losses++;
        }
    }
}
else if (mode == "grainstate")
{
    // Built directly (not through AddSerializer and a container) so the process starts fast.
    var storage = new SqliteGrainStorage("race",
        new SqliteGrainStorageOptions { DataSource = dataSource, GrainStorageSerializer = new CounterSerializer() },
        Options.Create(new ClusterOptions { ClusterId = "writer", ServiceId = scope }),
        new NewActivatorProvider(),
        NullLogger<SqliteGrainStorage>.Instance);
    await storage.StartAsync(CancellationToken.None);
    var grainId = GrainId.Parse(subject);
    // Warm up (JIT, read connection, writer) on a grain of this process's own.
    var warmUp = new GrainState<long>();
    var ownGrain = GrainId.Create("warm-up", Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
    await storage.ReadStateAsync("counter", ownGrain, warmUp);
    await storage.WriteStateAsync("counter", ownGrain, warmUp);
    try
    {
        await storage.WriteStateAsync("counter", ownGrain, new GrainState<long>());
    }
    catch (InconsistentStateException)
    {
        // Warms the conflict path too.
    }
    await StartTogetherAsync(goFile);
    while (true)
    {
        var state = new GrainState<long>();
        await storage.ReadStateAsync("counter", grainId, state);
        if (state.State >= target)
            break;
        state.State++;
        try
        {
            await storage.WriteStateAsync("counter", grainId, state);
            wins++;
            Console.WriteLine($"won {state.State}");
        }
        catch (InconsistentStateException)
        {
            losses++;
        }
    }
    await storage.StopAsync(CancellationToken.None);
}
else
{
    Console.Error.WriteLine($"unknown mode {mode}");
    return 2;
}

Console.WriteLine($"done {wins} {losses}");
return 0;

static async Task StartTogetherAsync(string goFile)
{
    Console.WriteLine("ready");
    while (!File.Exists(goFile))
        await Task.Delay(2);
}
