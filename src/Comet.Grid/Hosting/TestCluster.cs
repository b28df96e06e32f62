using Comet.Sandbox;
using Comet.Storage;
using Comet.Storage.Memory;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Comet.Grid.Hosting;

/// <summary>How a <see cref="TestCluster"/> is built (Orleans's TestClusterBuilder).</summary>
public sealed class TestClusterOptions
{
    /// <summary>Silos started by <see cref="TestCluster.StartAsync"/>.</summary>
    public int InitialSilosCount { get; set; } = 3;

    /// <summary>The store every silo shares (one SQLite file, or memory). Default: a fresh memory store.</summary>
    public Func<IStorageProvider>? Storage { get; set; }

    /// <summary>Adjusts each silo's options after the test defaults are applied.</summary>
    public Action<SiloOptions>? ConfigureSilo { get; set; }

    /// <summary>Sandbox limits for every silo.</summary>
    public AsoSandboxOptions? Sandbox { get; set; }

    public ILoggerFactory? Loggers { get; set; }

    /// <summary>Serve HTTP (the REST gateway) on a free port.</summary>
    public bool Http { get; set; } = true;

    /// <summary>Extra HTTP endpoints for each silo (the admin API), set as <see cref="Silo.ConfigureHttp"/> before it starts.</summary>
    public Action<Microsoft.AspNetCore.Builder.WebApplication, Silo>? ConfigureHttp { get; set; }
}

/// <summary>
/// N real silos in one process on free loopback ports, sharing one store, for tests: they talk
/// over real sockets; a test can stop, kill, restart and add silos.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    private readonly TestClusterOptions _options;
    private readonly IStorageProvider _storage;
    private readonly List<Silo> _silos = [];
    private int _nextId;

    private TestCluster(TestClusterOptions options, IStorageProvider storage)
    {
        _options = options;
        _storage = storage;
    }

    public IReadOnlyList<Silo> Silos
    {
        get
        {
            lock (_silos) return [.. _silos];
        }
    }

    public IStorageProvider Storage => _storage;

    /// <summary>Fault injection shared by every silo of the cluster: <c>Faults.BlockNode("silo-3")</c> cuts silo-3 off from the others.</summary>
    public Abstractions.Wire.TransportFaults Faults { get; } = new();

    public Silo Primary => Silos[0];

    public static async Task<TestCluster> StartAsync(TestClusterOptions? options = null)
    {
        options ??= new TestClusterOptions();
        var cluster = new TestCluster(options, options.Storage?.Invoke() ?? new MemoryStorageProvider());
        try
        {
            for (var i = 0; i < options.InitialSilosCount; i++) await cluster.StartSiloAsync().ConfigureAwait(false);
            await cluster.WaitForStableViewAsync().ConfigureAwait(false);
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return cluster;
    }

    /// <summary>Starts a silo; with an id of a stopped silo, that silo comes back with its stored replicas.</summary>
    public async Task<Silo> StartSiloAsync(string? siloId = null)
    {
        siloId ??= $"silo-{Interlocked.Increment(ref _nextId)}";
        var options = new SiloOptions
        {
            SiloId = siloId,
            Host = "127.0.0.1",
            SiloPort = 0,
            GatewayPort = 0,
            HttpPort = _options.Http ? 0 : -1,
            Partitions = 256,
            IAmAlivePeriod = TimeSpan.FromMilliseconds(250),
            MembershipRefreshPeriod = TimeSpan.FromMilliseconds(250),
            IAmAliveTimeout = TimeSpan.FromSeconds(3),
            ReplicaTimeout = TimeSpan.FromSeconds(5),
            CollectionPeriod = TimeSpan.FromSeconds(1),
            StateFlushDelay = TimeSpan.FromMilliseconds(50),
        };
        _options.ConfigureSilo?.Invoke(options);
        var silo = new Silo(options, _storage, ownsStorage: false, _options.Loggers ?? NullLoggerFactory.Instance, _options.Sandbox, faults: Faults);
        silo.ConfigureHttp = _options.ConfigureHttp;
        await silo.StartAsync().ConfigureAwait(false);
        lock (_silos) _silos.Add(silo);
        return silo;
    }

    /// <summary>Clean shutdown of one silo.</summary>
    public async Task StopSiloAsync(Silo silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        lock (_silos) _silos.Remove(silo);
        await silo.StopAsync().ConfigureAwait(false);
    }

    /// <summary>Crash of one silo: sockets drop, nothing more is written, its membership row goes stale.</summary>
    public async Task KillSiloAsync(Silo silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        lock (_silos) _silos.Remove(silo);
        await silo.KillAsync().ConfigureAwait(false);
    }

    /// <summary>Stops (or kills) a silo and starts it again under the same id.</summary>
    public async Task<Silo> RestartSiloAsync(Silo silo, bool kill = false)
    {
        ArgumentNullException.ThrowIfNull(silo);
        if (kill) await KillSiloAsync(silo).ConfigureAwait(false);
        else await StopSiloAsync(silo).ConfigureAwait(false);
        var restarted = await StartSiloAsync(silo.Id).ConfigureAwait(false);
        await WaitForStableViewAsync().ConfigureAwait(false);
        return restarted;
    }

    /// <summary>Waits until every running silo sees exactly the running silos as live.</summary>
    public async Task WaitForStableViewAsync(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var silos = Silos;
            var ids = silos.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
            if (silos.All(s => s.View.Live.SetEquals(ids))) return;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("The silos did not agree on the membership: " +
                    string.Join("; ", silos.Select(s => $"{s.Id} sees {string.Join(",", s.View.Live.Order(StringComparer.Ordinal))}")));
            foreach (var s in silos) await s.Membership.RefreshAsync(CancellationToken.None).ConfigureAwait(false);
            await Task.Delay(50).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in Silos)
        {
            try
            {
                await silo.StopAsync().ConfigureAwait(false);
            }
#pragma warning disable CA1031 // tear-down goes on through every silo
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
        lock (_silos) _silos.Clear();
        await _storage.DisposeAsync().ConfigureAwait(false);
    }
}
