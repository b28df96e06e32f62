using System.Diagnostics;
using Orleans.Runtime;

namespace Comet.Cluster.Tests.Processes;

/// <summary>
/// A cluster of real <c>comet-silo</c> processes (silo-1 .. silo-N) on loopback, sharing one SQLite file: membership,
/// grain storage and reminders. Each silo keeps its ports across restarts. The run's directory (database and one log
/// per silo) stays under <c>cluster-runs/</c> next to the test assembly for diagnosis; the last few runs are kept.
/// Every process is SIGKILLed on dispose, whatever the tests did.
/// </summary>
public sealed class ProcessCluster : IAsyncLifetime
{
    /// <summary>How long a silo may take from process start to serving REST (2 shared cores, JIT, Orleans start-up).</summary>
    public static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(90);

    private const int KeptRuns = 4;

    private readonly Dictionary<string, SiloProcess> _silos = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _events = new();

    public ProcessCluster() : this(3)
    {
    }

    internal ProcessCluster(int silos)
    {
        var runs = Path.Combine(AppContext.BaseDirectory, "cluster-runs");
        System.IO.Directory.CreateDirectory(runs);
        foreach (var old in new DirectoryInfo(runs).GetDirectories().OrderByDescending(d => d.Name).Skip(KeptRuns - 1))
        {
            try
            {
                old.Delete(recursive: true);
            }
            catch (IOException)
            {
            }
        }
        Directory = Path.Combine(runs, $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}");
        System.IO.Directory.CreateDirectory(Directory);
        Database = Path.Combine(Directory, "comet.db");
        Membership = new MembershipReader(Database);
        var executable = SiloExecutable();
        var ports = SiloPorts.Allocate(silos);
        for (var i = 0; i < silos; i++)
        {
            var id = $"silo-{i + 1}";
            _silos[id] = new SiloProcess(id, ports[i], executable, Database, Path.Combine(Directory, id + ".log"));
        }
        Http = KeyValueRest.CreateClient();
    }

    /// <summary>The run's directory: the database and each silo's log.</summary>
    public string Directory { get; }

    public string Database { get; }

    internal MembershipReader Membership { get; }

    public HttpClient Http { get; }

    public IReadOnlyList<string> Ids => [.. _silos.Keys];

    internal SiloProcess this[string id] => _silos[id];

    /// <summary>Writes the starts and faults since the last call, one line each with its timings, to the test output.</summary>
    public void WriteEvents(Xunit.Abstractions.ITestOutputHelper output)
    {
        ArgumentNullException.ThrowIfNull(output);
        while (_events.TryDequeue(out var line)) output.WriteLine("cluster: " + line);
    }

    /// <summary>The REST addresses of the silos that serve now (started, answered REST, not killed or frozen since).</summary>
    public IReadOnlyList<string> Serving(params string[] except) =>
        [.. _silos.Values.Where(s => s.IsServing && s.IsRunning && !except.Contains(s.Id)).Select(s => s.Rest)];

    /// <summary>tests/Comet.Cluster.Tests/bin/&lt;Configuration&gt;/net10.0/linux-x64/ → silo/bin/&lt;Configuration&gt;/net10.0/linux-x64/comet-silo.dll</summary>
    private static string SiloExecutable()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = here.Parent!.Parent!.Name;
        var root = here.Parent!.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        var path = Path.Combine(root, "silo", "bin", configuration, "net10.0", "linux-x64", "comet-silo.dll");
        if (!File.Exists(path)) throw new FileNotFoundException($"The silo executable is not built at {path}; build tests/Comet.Cluster.Tests (it references silo/).", path);
        return path;
    }

    public async Task InitializeAsync()
    {
        try
        {
            await EnsureAllServingAsync();
        }
        catch
        {
            // A fixture that failed to start may not be disposed: leave no silo behind.
            foreach (var silo in _silos.Values) silo.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Brings the cluster back to every silo running and serving: a silo left frozen or dead by an earlier test is
    /// killed and started again. Waits until each silo's newest incarnation is Active in the membership table, no
    /// older incarnation is still counted as alive, and each silo answers REST.
    /// </summary>
    public async Task EnsureAllServingAsync()
    {
        var starts = new List<Task>();
        foreach (var silo in _silos.Values)
        {
            if (silo.IsRunning && !silo.IsFrozen) continue;
            if (silo.IsRunning)
            {
                _events.Enqueue($"{silo.Id} was left frozen: killed to start it again");
                await silo.KillAsync();
            }
            starts.Add(StartAsync(silo.Id));
        }
        await Task.WhenAll(starts);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var rows = await Membership.ReadAsync();
            var settled = _silos.Keys.All(id =>
            {
                var mine = rows.Where(r => r.Name == id).OrderByDescending(r => r.Generation).ToList();
                return mine.Count > 0 && mine[0].Status == SiloStatus.Active && mine.Skip(1).All(r => r.Status == SiloStatus.Dead);
            });
            if (settled) break;
            if (clock.Elapsed > StartLimit)
                throw new TimeoutException($"The membership did not settle within {StartLimit.TotalSeconds} s: " + string.Join("; ", rows.Select(r => $"{r.Name} {r.Address} {r.Status}")));
            await Task.Delay(100);
        }
        foreach (var silo in _silos.Values) await WaitUntilServingAsync(silo, clock);
    }

    /// <summary>What a start took: until the REST gateway answered, and until the new incarnation was Active.</summary>
    public sealed record StartTimes(TimeSpan ToActive, TimeSpan ToServing);

    /// <summary>
    /// Starts <paramref name="id"/> (again) with its id and ports; returns when its new incarnation is Active in the
    /// membership table and its REST gateway answers a read (any answer but a 5xx: a 404 for a missing key is the
    /// coordinator reaching its replicas).
    /// </summary>
    public async Task<StartTimes> StartAsync(string id)
    {
        var silo = _silos[id];
        var before = (await Membership.NewestAsync(id))?.Generation ?? int.MinValue;
        var clock = Stopwatch.StartNew();
        silo.Start();
        TimeSpan? active = null;
        while (active is null)
        {
            if (!silo.IsRunning) throw new InvalidOperationException($"{id} exited with {silo.ExitCode} while starting; its log ({silo.LogFile}) ends:\n{silo.LogTail()}");
            if (clock.Elapsed > StartLimit) throw new TimeoutException($"{id} was not Active within {StartLimit.TotalSeconds} s; its log ends:\n{silo.LogTail()}");
            if (await Membership.NewestAsync(id) is { } row && row.Generation > before && row.Status == SiloStatus.Active) active = clock.Elapsed;
            else await Task.Delay(100);
        }
        await WaitUntilServingAsync(silo, clock);
        _events.Enqueue($"{id} start #{silo.Starts} (pid {silo.Pid}): Active after {active.Value.TotalSeconds:0.0} s, serving REST after {clock.Elapsed.TotalSeconds:0.0} s");
        return new StartTimes(active.Value, clock.Elapsed);
    }

    private async Task WaitUntilServingAsync(SiloProcess silo, Stopwatch clock)
    {
        var last = "";
        while (true)
        {
            var probe = await KeyValueRest.GetAsync(Http, silo.Rest, "serving-probe-" + silo.Id, r: 1);
            if (probe.Status is > 0 and < 500)
            {
                silo.IsServing = true;
                return;
            }
            last = probe.Failure;
            if (!silo.IsRunning) throw new InvalidOperationException($"{silo.Id} exited with {silo.ExitCode} before serving; its log ends:\n{silo.LogTail()}");
            if (clock.Elapsed > StartLimit) throw new TimeoutException($"{silo.Id} did not serve REST within {StartLimit.TotalSeconds} s (last: {last}); its log ends:\n{silo.LogTail()}");
            await Task.Delay(100);
        }
    }

    /// <summary>SIGKILL; returns the membership address of the incarnation that was killed.</summary>
    public async Task<string> KillAsync(string id)
    {
        var incarnation = await Membership.NewestAsync(id) ?? throw new InvalidOperationException($"{id} has no membership row.");
        var pid = _silos[id].Pid;
        await _silos[id].KillAsync();
        _events.Enqueue($"{id} (pid {pid}, {incarnation.Address}) killed with SIGKILL at {DateTime.UtcNow:HH:mm:ss.fff} UTC");
        return incarnation.Address;
    }

    /// <summary>SIGSTOP; returns the membership address of the incarnation that was frozen.</summary>
    public async Task<string> FreezeAsync(string id)
    {
        var incarnation = await Membership.NewestAsync(id) ?? throw new InvalidOperationException($"{id} has no membership row.");
        await _silos[id].FreezeAsync();
        _events.Enqueue($"{id} (pid {_silos[id].Pid}, {incarnation.Address}) frozen with SIGSTOP at {DateTime.UtcNow:HH:mm:ss.fff} UTC");
        return incarnation.Address;
    }

    /// <summary>Polls the membership table until the incarnation at <paramref name="address"/> is Dead; null if not within <paramref name="limit"/>.</summary>
    public async Task<TimeSpan?> WaitUntilDeadAsync(string address, Stopwatch since, TimeSpan limit)
    {
        while (since.Elapsed < limit)
        {
            if ((await Membership.RowAsync(address))?.Status == SiloStatus.Dead) return since.Elapsed;
            await Task.Delay(25);
        }
        return null;
    }

    public async Task DisposeAsync()
    {
        foreach (var silo in _silos.Values) silo.Dispose();
        Http.Dispose();
        await Task.CompletedTask;
    }
}
