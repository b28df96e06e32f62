using System.Net;
using System.Net.Sockets;
using Comet.Silo;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace Comet.Load;

/// <summary>
/// Replaces the old grid's in-process TestCluster: three real <see cref="CometSilo"/>s (Orleans, REST when asked,
/// admin) in this process on loopback, on a temporary SQLite file (as the README's cluster) or the memory store.
/// Built like tests/Shared/SiloCluster.cs. Client and silos then share this process and its 2 cores.
/// </summary>
internal sealed class InProcessCluster : IAsyncDisposable
{
    private readonly List<CometSilo> _silos = [];
    private readonly string _directory;

    private InProcessCluster(string directory, string clusterId)
    {
        _directory = directory;
        ClusterId = clusterId;
    }

    /// <summary>A cluster id of its own, so that these silos never join another cluster on the machine; the client must use it.</summary>
    public string ClusterId { get; }

    public IReadOnlyList<CometSilo> Silos => _silos;

    public string DataPath => Path.Combine(_directory, "comet.db");

    public string[] Gateways => _silos.Select(s => $"{s.Settings.Host}:{s.Settings.GatewayPort}").ToArray();

    public static async Task<InProcessCluster> StartAsync(int silos, bool memory)
    {
        var directory = Path.Combine(Path.GetTempPath(), "comet-load-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var cluster = new InProcessCluster(directory, "load-" + Guid.NewGuid().ToString("N")[..8]);
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["Comet:Storage:Provider"] = memory ? "memory" : "sqlite",
            ["Comet:Storage:SqlitePath"] = cluster.DataPath,
            ["Comet:Silo:ClusterId"] = cluster.ClusterId,
        };
        // The memory store's development clustering finds silo-1 at (silo-N's port - (N - 1)): consecutive ports.
        var siloBase = memory ? FreeRun(silos) : 0;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        try
        {
            for (var i = 0; i < silos; i++)
            {
                var index = i;
                var silo = CometSilo.Create(configuration, s =>
                {
                    s.SiloId = $"silo-{index + 1}";
                    s.Host = "127.0.0.1";
                    s.SiloPort = memory ? siloBase + index : FreePort();
                    s.GatewayPort = FreePort();
                    // Always a real port: with HttpPort = -1 the silo's web host still starts Kestrel on its default
                    // http://localhost:5000, so a second silo in the process fails to bind.
                    s.HttpPort = FreePort();
                }, NullLoggerFactory.Instance);
                await silo.StartAsync();
                cluster._silos.Add(silo);
            }
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
        return cluster;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in Enumerable.Reverse(_silos.ToArray()))
        {
            try
            {
                using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await silo.StopAsync(stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
            }
            await silo.DisposeAsync();
        }
        _silos.Clear();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The first of <paramref name="count"/> consecutive free loopback ports.</summary>
    private static int FreeRun(int count)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var first = FreePort();
            if (first + count > 65535) continue;
            var ok = true;
            for (var p = first + 1; p < first + count && ok; p++)
            {
                try
                {
                    using var l = new TcpListener(IPAddress.Loopback, p);
                    l.Start();
                }
                catch (SocketException)
                {
                    ok = false;
                }
            }
            if (ok) return first;
        }
        throw new InvalidOperationException("No run of free consecutive loopback ports found.");
    }
}
