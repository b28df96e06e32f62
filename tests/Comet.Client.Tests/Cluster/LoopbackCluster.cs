using System.Net;
using System.Net.Sockets;
using Comet.Abstractions.Options;
using Comet.Grains;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting;

namespace Comet.Client.Tests.Cluster;

/// <summary>
/// Real Orleans silos running the grid in this process, each on its own free loopback TCP ports, so clients talk
/// to them over real sockets (an in-process test cluster would use an in-memory transport). Silo 1 is the primary:
/// the others join through it (Orleans's development clustering), so tests stop any silo but the first.
/// </summary>
public sealed class LoopbackCluster : IAsyncDisposable
{
    private readonly List<LoopbackSilo> _silos;

    private LoopbackCluster(List<LoopbackSilo> silos) => _silos = silos;

    public IReadOnlyList<LoopbackSilo> Silos => _silos;

    /// <summary>
    /// Starts <paramref name="count"/> silos (<c>silo-1</c>..) on in-memory grain storage and reminders, unless
    /// <paramref name="configure"/> adds a storage of its own (it runs on every silo after the grid is added).
    /// </summary>
    public static async Task<LoopbackCluster> StartAsync(int count, Action<ISiloBuilder>? configure = null)
    {
        var ports = FreePorts(2 * count);
        var primary = new IPEndPoint(IPAddress.Loopback, ports[0]);
        var silos = new List<LoopbackSilo>(count);
        for (var i = 0; i < count; i++)
            silos.Add(new LoopbackSilo($"silo-{i + 1}", ports[2 * i], ports[(2 * i) + 1], Build($"silo-{i + 1}", ports[2 * i], ports[(2 * i) + 1], primary, configure)));
        var cluster = new LoopbackCluster(silos);
        try
        {
            await silos[0].Host.StartAsync();
            await Task.WhenAll(silos.Skip(1).Select(s => s.Host.StartAsync()));
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
        return cluster;
    }

    private static IHost Build(string name, int siloPort, int gatewayPort, IPEndPoint primary, Action<ISiloBuilder>? configure)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(siloPort, gatewayPort, primary, CometCluster.DefaultServiceId, CometCluster.DefaultClusterId)
                .UseInMemoryReminderService()
                .AddCometGrid(grid => grid.Namespaces["n1"] = new NamespaceOptions { N = 1, R = 1, W = 1, AllowAnonymous = true })
                .AddIncomingGrainCallFilter(StalledCalls.Filter);
            if (configure is null) silo.AddMemoryGrainStorage(CometStorage.Replicas);
            else configure(silo);
        });
        builder.Services.Configure<SiloOptions>(o => o.SiloName = name);
        return builder.Build();
    }

    /// <summary>Ports the OS gives to listeners on loopback, all held until every one is known so none repeats.</summary>
    private static int[] FreePorts(int count)
    {
        var listeners = new TcpListener[count];
        try
        {
            for (var i = 0; i < count; i++)
            {
                listeners[i] = new TcpListener(IPAddress.Loopback, 0);
                listeners[i].Start();
            }
            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            foreach (var listener in listeners) listener?.Stop();
        }
    }

    public async ValueTask DisposeAsync()
    {
        // The primary last: the others leave through its membership table.
        for (var i = _silos.Count - 1; i >= 0; i--) await _silos[i].DisposeAsync();
    }
}

/// <summary>One silo of a <see cref="LoopbackCluster"/>.</summary>
public sealed class LoopbackSilo(string id, int siloPort, int gatewayPort, IHost host) : IAsyncDisposable
{
    private int _stopped;

    /// <summary>The silo's name, as <see cref="CometClient.GetClusterAsync"/> lists it.</summary>
    public string Id { get; } = id;

    public int SiloPort { get; } = siloPort;

    public int GatewayPort { get; } = gatewayPort;

    /// <summary>These silos serve no HTTP.</summary>
    public int HttpPort => -1;

    /// <summary>The gateway as the SDK and the CLI take it.</summary>
    public string Gateway => $"127.0.0.1:{GatewayPort}";

    public IHost Host { get; } = host;

    /// <summary>Shuts the silo down gracefully: it leaves the membership, its grains deactivate, its gateway closes.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await Host.StopAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            Host.Dispose();
        }
    }
}
