using System.Net;
using System.Net.Sockets;
using Comet.Silo;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Comet.Tests.Shared;

/// <summary>
/// Real silos in this process, each a full <see cref="CometSilo"/> (Orleans, REST, admin) on free
/// loopback ports, sharing one temporary SQLite file (or the storage the test configures). Tests
/// that need separate processes (kill -9) start the silo executable instead.
/// Link this file into a test project that references silo/Comet.Silo.csproj.
/// </summary>
public sealed class SiloCluster : IAsyncDisposable
{
    private readonly List<CometSilo> _silos = [];
    private readonly Dictionary<string, string?> _settings;
    private readonly string _directory;
    private int _next;

    private SiloCluster(Dictionary<string, string?> settings, string directory)
    {
        _settings = settings;
        _directory = directory;
    }

    public IReadOnlyList<CometSilo> Silos => _silos;

    /// <summary>The Orleans cluster id these silos share (a restart on the same file passes it again).</summary>
    public string ClusterId => _settings["Comet:Silo:ClusterId"]!;

    /// <summary>The SQLite file every silo shares.</summary>
    public string DataPath => Path.Combine(_directory, "comet.db");

    /// <summary>The REST address of silo <paramref name="index"/>.</summary>
    public Uri Http(int index = 0) => new(_silos[index].HttpAddress!);

    /// <summary>"127.0.0.1:port" of silo <paramref name="index"/>'s SDK gateway.</summary>
    public string Gateway(int index = 0) => $"{_silos[index].Settings.Host}:{_silos[index].Settings.GatewayPort}";

    /// <summary>
    /// Starts <paramref name="silos"/> silos. <paramref name="configuration"/> adds configuration keys
    /// (e.g. <c>Comet:Silo:Namespaces:app:N</c>, <c>Comet:Silo:DevMode</c>, <c>Comet:Silo:Security:...</c>).
    /// </summary>
    public static async Task<SiloCluster> StartAsync(int silos = 3, IDictionary<string, string?>? configuration = null, ILoggerFactory? loggers = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "comet-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["Comet:Storage:Provider"] = "sqlite",
            ["Comet:Storage:SqlitePath"] = Path.Combine(directory, "comet.db"),
            ["Comet:Silo:ClusterId"] = "test-" + Guid.NewGuid().ToString("N")[..8],
        };
        if (configuration is not null) foreach (var (key, value) in configuration) settings[key] = value;
        var cluster = new SiloCluster(settings, directory);
        try
        {
            for (var i = 0; i < silos; i++) await cluster.StartSiloAsync(loggers);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
        return cluster;
    }

    /// <summary>Starts one more silo (a new name, new ports) on the same storage.</summary>
    public async Task<CometSilo> StartSiloAsync(ILoggerFactory? loggers = null)
    {
        var index = Interlocked.Increment(ref _next);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(_settings).Build();
        for (var attempt = 1; ; attempt++)
        {
            var silo = CometSilo.Create(configuration, s =>
            {
                s.SiloId = $"silo-{index}";
                s.Host = "127.0.0.1";
                s.SiloPort = FreePort();
                s.GatewayPort = FreePort();
                s.HttpPort = FreePort();
            }, loggers ?? NullLoggerFactory.Instance);
            try
            {
                await silo.StartAsync();
                lock (_silos) _silos.Add(silo);
                return silo;
            }
            catch (Exception ex) when (attempt < 4 && IsAddressInUse(ex))
            {
                // A test assembly running in parallel took one of the free ports between our probe and the bind.
                await silo.DisposeAsync();
            }
        }
    }

    /// <summary>Stops one silo cleanly (its grains deactivate and write their state; the others take over its replicas).</summary>
    public async Task StopSiloAsync(CometSilo silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        lock (_silos) _silos.Remove(silo);
        try
        {
            await silo.StopAsync();
        }
        finally
        {
            await silo.DisposeAsync();
        }
    }

    /// <summary>Stops every silo cleanly and keeps the data (a full cluster restart starts new silos on <see cref="DataPath"/>).</summary>
    public async Task StopAsync()
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
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static bool IsAddressInUse(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
            if (e is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } || e.GetType().Name == "AddressInUseException") return true;
        return false;
    }

    /// <summary>A loopback port nobody listens on right now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds, or fails after <paramref name="timeout"/> (default 20 s).</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("Never happened: " + what);
            await Task.Delay(100);
        }
    }
}
