using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Placement;

namespace Comet.Load;

/// <summary>
/// The Orleans floor on this machine: the same shape of cluster as the README's (3 silos in one process, one client
/// process) with trivial grains and nothing of CometGrains, so that the SDK numbers can be split into "what Orleans
/// costs here" and "what the product adds". A stateless-worker coordinator (like <c>CoordinatorGrain</c>) on the
/// gateway silo calls 1 or 2 key grains placed at random (2 of 3 remote, like the ring's replicas) that answer 100 bytes.
///   Comet.Load floor-silos [--with-dashboard]        hosts the 3 silos (silo ports 11211-11213, gateways 30100-30102) until stopped
///   Comet.Load --floor 127.0.0.1:30100,...           measures them from another process
/// </summary>
internal static class Floor
{
    public const string ClusterId = "comet-floor";
    private const int SiloPortBase = 11211;
    public const int GatewayPortBase = 30100;

    public static async Task<int> RunSilosAsync(string[] args)
    {
        var dashboard = args.Contains("--with-dashboard");
        var hosts = new List<IHost>();
        var primary = new IPEndPoint(IPAddress.Loopback, SiloPortBase);
        for (var i = 0; i < 3; i++)
        {
            var index = i;
            var host = Host.CreateDefaultBuilder()
                .ConfigureLogging(l => l.ClearProviders())
                .ConfigureHostConfiguration(c => Microsoft.Extensions.Configuration.MemoryConfigurationBuilderExtensions.AddInMemoryCollection(c,
                    new Dictionary<string, string?> { ["hostBuilder:reloadConfigOnChange"] = "false" }))
                .UseOrleans(silo =>
                {
                    silo.UseDevelopmentClustering(primary);
                    silo.Configure<ClusterOptions>(o => { o.ClusterId = ClusterId; o.ServiceId = ClusterId; });
                    silo.Configure<SiloOptions>(o => o.SiloName = $"floor-{index + 1}");
                    silo.ConfigureEndpoints(IPAddress.Loopback, SiloPortBase + index, GatewayPortBase + index, listenOnAnyHostAddress: false);
                    if (dashboard) silo.AddDashboard();
                })
                .Build();
            await host.StartAsync();
            hosts.Add(host);
        }
        Console.WriteLine($"floor: 3 bare Orleans silos up (dashboard {(dashboard ? "on" : "off")}), gateways {GatewayPortBase}-{GatewayPortBase + 2}; ready");
        var stop = new TaskCompletionSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.TrySetResult(); };
        AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.TrySetResult();
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
        await stop.Task;
        foreach (var host in Enumerable.Reverse(hosts))
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try { await host.StopAsync(cts.Token); } catch (OperationCanceledException) { }
            host.Dispose();
        }
        return 0;
    }

    public static async Task RunLoadAsync(LoadOptions options, string[] gateways)
    {
        var endPoints = gateways.Select(g => IPEndPoint.Parse(g)).ToArray();
        using var host = Host.CreateDefaultBuilder()
            .ConfigureLogging(l => l.ClearProviders())
            .UseOrleansClient(client =>
            {
                client.UseStaticClustering(endPoints);
                client.Configure<ClusterOptions>(o => { o.ClusterId = ClusterId; o.ServiceId = ClusterId; });
            })
            .Build();
        await host.StartAsync();
        var grains = host.Services.GetRequiredService<IClusterClient>();
        var keys = Enumerable.Range(0, options.Keys).Select(i => $"floor-{i}").ToArray();
        var coordinator = grains.GetGrain<IFloorCoordinator>(0);
        // Orleans's client sends every ordered call to one grain id through one gateway (grain buckets); coordinator ids
        // derived from the key spread the calls over all gateways (a stateless worker activates where the call lands).
        IFloorCoordinator Spread(string k) => grains.GetGrain<IFloorCoordinator>((uint)k.GetHashCode() % 64);
        // A reentrant stateless worker: one activation per silo interleaves every request (a non-reentrant one holds its
        // turn across the await of the key grain, so each of its (ProcessorCount) workers serves one request at a time).
        var reentrant = grains.GetGrain<IFloorReentrantCoordinator>(0);
        IFloorReentrantCoordinator SpreadReentrant(string k) => grains.GetGrain<IFloorReentrantCoordinator>((uint)k.GetHashCode() % 64);
        var scenarios = new List<(string Name, Func<string, Task> Call)>
        {
            ("floor: client -> key grain", k => grains.GetGrain<IFloorKeyGrain>(k + "#0").Read()),
            ("floor: coord -> 1 key grain", k => coordinator.Get(k, 1)),
            ("floor: coord -> 2 key grains", k => coordinator.Get(k, 2)),
            ("floor: spread coord -> 1", k => Spread(k).Get(k, 1)),
            ("floor: spread coord -> 2", k => Spread(k).Get(k, 2)),
            ("floor: reentrant coord -> 1", k => reentrant.Get(k, 1)),
            ("floor: reentrant coord -> 2", k => reentrant.Get(k, 2)),
            ("floor: spread reentrant -> 1", k => SpreadReentrant(k).Get(k, 1)),
            ("floor: spread reentrant -> 2", k => SpreadReentrant(k).Get(k, 2)),
        };
        // Activate every key grain first.
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (k, _) => await coordinator.Get(k, 2));
        var watch = new ProcessWatch(options.WatchPids);
        Console.WriteLine(Result.Header);
        foreach (var (name, call) in scenarios)
        {
            if (options.Only is { } only && !only.Any(o => name.Contains(o, StringComparison.OrdinalIgnoreCase))) continue;
            Func<string, ValueTask<Comet.Client.CometGetResult>> get = async k =>
            {
                await call(k);
                return null!;
            };
            var scenario = new Scenario(name, keys, get, new Comet.Client.PutOptions(), null);
            await Runner.ClosedLoopAsync(scenario, 64, options.Warmup, watch, warmup: true);
            foreach (var concurrency in options.Concurrency)
                Console.WriteLine((await Runner.ClosedLoopAsync(scenario, concurrency, options.Duration, watch, warmup: false)).Row());
        }
        await host.StopAsync();
    }
}

public interface IFloorKeyGrain : IGrainWithStringKey
{
    Task<byte[]> Read();
}

[RandomPlacement]
public sealed class FloorKeyGrain : Grain, IFloorKeyGrain
{
    private static readonly byte[] Value = new byte[100];

    public Task<byte[]> Read() => Task.FromResult(Value);
}

public interface IFloorCoordinator : IGrainWithIntegerKey
{
    Task<byte[]> Get(string key, int r);
}

/// <summary>The coordinators' one read: replica 0 alone (r = 1), or replicas 0 and 1 at once; they differ only in scheduling, so continuations stay on the grain's scheduler as before.</summary>
internal static class FloorReads
{
    public static async Task<byte[]> ReadAsync(IGrainFactory grains, string key, int r)
    {
        if (r == 1) return await grains.GetGrain<IFloorKeyGrain>(key + "#0").Read().ConfigureAwait(true);
        var a = grains.GetGrain<IFloorKeyGrain>(key + "#0").Read();
        var b = grains.GetGrain<IFloorKeyGrain>(key + "#1").Read();
        await Task.WhenAll(a, b).ConfigureAwait(true);
        return await a.ConfigureAwait(true);
    }
}

[StatelessWorker]
public sealed class FloorCoordinator : Grain, IFloorCoordinator
{
    public Task<byte[]> Get(string key, int r) => FloorReads.ReadAsync(GrainFactory, key, r);
}

public interface IFloorReentrantCoordinator : IGrainWithIntegerKey
{
    Task<byte[]> Get(string key, int r);
}

[StatelessWorker(1)]
[Reentrant]
public sealed class FloorReentrantCoordinator : Grain, IFloorReentrantCoordinator
{
    public Task<byte[]> Get(string key, int r) => FloorReads.ReadAsync(GrainFactory, key, r);
}
