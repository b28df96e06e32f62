using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Comet.Cluster.Tests.Processes;
using Comet.History.Tests.Recording;
using Orleans.Runtime;

namespace Comet.History.Tests.Nemeses;

/// <summary>
/// Silo processes each in a network namespace of its own, wired to one bridge in a switch namespace, so that the
/// network between silos can really be cut (<c>ip link set down</c>) or degraded (<c>tc qdisc tbf</c>), while the silos still
/// share one SQLite file. Silo <i>i</i> has the address 127.100.0.(10+i) on its link to the bridge (a loopback-range
/// address, with <c>route_localnet</c> in its namespace, so the REST gateway's dev mode treats the clients as local); its
/// own loopback keeps only 127.0.0.1/32. Clients reach silo <i>i</i> with sockets created inside its namespace, so a
/// partition cuts silos off from each other, never from their clients. Only namespaces made here are touched; all are
/// deleted on dispose. Needs root.
/// </summary>
internal sealed class NamespacedGrid : IGrid
{
    private const int SiloPort = 11111;
    private const int GatewayPort = 30000;
    private const int HttpPort = 8080;

    /// <summary>How long a silo cut off from the others has, once the cut heals, to serve again or to exit (fenced).</summary>
    private static readonly TimeSpan AfterHeal = TimeSpan.FromSeconds(20);

    private readonly RunClock _clock;
    private readonly ConcurrentQueue<string> _events = new();
    private readonly NetworkNamespace _switch;
    private readonly Dictionary<string, (NetworkNamespace Ns, string Address, int Index)> _silos = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Process> _processes = new(StringComparer.Ordinal);
    private readonly string _executable;
    private readonly string _database;
    private readonly MembershipReader _membership;

    public NamespacedGrid(int silos, RunClock clock)
    {
        _clock = clock;
        var runs = Path.Combine(AppContext.BaseDirectory, "cluster-runs");
        Directory = Path.Combine(runs, $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}-netns");
        System.IO.Directory.CreateDirectory(Directory);
        _database = Path.Combine(Directory, "comet.db");
        _membership = new MembershipReader(_database);
        _executable = SiloExecutable();
        var tag = $"ch{Environment.ProcessId % 100000}";
        _switch = new NetworkNamespace(tag + "-sw");
        try
        {
            NetworkNamespace.Ip("-n", _switch.Name, "link", "add", "br0", "type", "bridge");
            NetworkNamespace.Ip("-n", _switch.Name, "link", "set", "br0", "up");
            for (var i = 1; i <= silos; i++)
            {
                var ns = new NetworkNamespace($"{tag}-s{i}");
                var address = $"127.100.0.{10 + i}";
                _silos[$"silo-{i}"] = (ns, address, i);
                NetworkNamespace.Ip("link", "add", "v0", "netns", ns.Name, "type", "veth", "peer", "name", $"p{i}", "netns", _switch.Name);
                NetworkNamespace.Ip("-n", _switch.Name, "link", "set", $"p{i}", "master", "br0");
                NetworkNamespace.Ip("-n", _switch.Name, "link", "set", $"p{i}", "up");
                NetworkNamespace.Run("ip", "netns", "exec", ns.Name, "sysctl", "-qw", "net.ipv4.conf.all.route_localnet=1");
                NetworkNamespace.Run("ip", "netns", "exec", ns.Name, "sysctl", "-qw", "net.ipv4.conf.v0.route_localnet=1");
                NetworkNamespace.Ip("-n", ns.Name, "link", "set", "lo", "up");
                NetworkNamespace.Ip("-n", ns.Name, "addr", "del", "127.0.0.1/8", "dev", "lo");
                NetworkNamespace.Ip("-n", ns.Name, "addr", "add", "127.0.0.1/32", "dev", "lo");
                NetworkNamespace.Ip("-n", ns.Name, "addr", "add", address + "/24", "dev", "v0");
                NetworkNamespace.Ip("-n", ns.Name, "link", "set", "v0", "up");
            }
        }
        catch
        {
            DeleteNamespaces();
            throw;
        }
        Http = new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(3),
            PooledConnectionLifetime = TimeSpan.FromSeconds(30),
            MaxConnectionsPerServer = 64,
            ConnectCallback = async (context, ct) =>
            {
                var silo = _silos.Values.First(s => s.Address == context.DnsEndPoint.Host);
                var socket = await silo.Ns.CreateSocketAsync();
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(silo.Address), context.DnsEndPoint.Port), ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        })
        {
            Timeout = TimeSpan.FromSeconds(10),
        };
    }

    public HashSet<string> Members { get; } = new(StringComparer.Ordinal);

    public HttpClient Http { get; }

    public string Directory { get; }

    /// <summary>None: the SDK's Orleans client opens its own sockets, outside the silos' namespaces.</summary>
    public IReadOnlyList<string> Gateways => [];

    public TimeSpan LastHealed { get; private set; }

    public int Faults { get; private set; }

    public IEnumerable<string> Events => _events;

    public void Log(string text) => _events.Enqueue($"t={_clock.Now.TotalSeconds:0.0}s {text}");

    public string RestOf(string id) => $"http://{_silos[id].Address}:{HttpPort.ToString(CultureInfo.InvariantCulture)}";

    public IReadOnlyList<(string Id, string Address)> Targets()
    {
        lock (_processes) return [.. _processes.Where(p => !p.Value.HasExited).Select(p => (p.Key, RestOf(p.Key)))];
    }

    public async Task StartAsync(params string[] ids)
    {
        Log($"start {string.Join(", ", ids)}");
        await Task.WhenAll(ids.Select(StartOneAsync));
        LastHealed = _clock.Now;
    }

    private async Task StartOneAsync(string id)
    {
        var (ns, address, _) = _silos[id];
        var before = (await _membership.NewestAsync(id))?.Generation ?? int.MinValue;
        var start = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var arg in new[]
        {
            "netns", "exec", ns.Name, "dotnet", _executable, "--silo-id", id, "--host", address, "--data", _database,
            "--silo-port", SiloPort.ToString(CultureInfo.InvariantCulture), "--gateway-port", GatewayPort.ToString(CultureInfo.InvariantCulture),
            "--http-port", HttpPort.ToString(CultureInfo.InvariantCulture),
        }) start.ArgumentList.Add(arg);
        var log = new StreamWriter(new FileStream(Path.Combine(Directory, id + ".log"), FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.Exited += (_, _) =>
        {
            lock (log) log.Dispose();
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        lock (_processes) _processes[id] = process;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"{id} exited with {process.ExitCode} while starting (log {Directory}/{id}.log)");
            if (clock.Elapsed > ProcessCluster.StartLimit) throw new TimeoutException($"{id} did not serve within {ProcessCluster.StartLimit.TotalSeconds} s");
            if (await _membership.NewestAsync(id) is { } row && row.Generation > before && row.Status == SiloStatus.Active && await ServesAsync(id)) break;
            await Task.Delay(200);
        }
        Members.Add(id);
        Log($"{id} serving after {clock.Elapsed.TotalSeconds:0.0} s");
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null) return;
        lock (log)
        {
            try
            {
                log.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {line}");
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private async Task<bool> ServesAsync(string id)
    {
        try
        {
            using var response = await Http.GetAsync($"{RestOf(id)}/v1/default/keys/serving-probe?r=1");
            return (int)response.StatusCode < 500;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// Cuts <paramref name="id"/>'s link to the bridge for <paramref name="cut"/> (its clients still reach it), or, with
    /// <paramref name="shaping"/>, degrades the link with that queueing discipline instead (e.g. <c>tbf rate 128kbit burst
    /// 4kbit latency 300ms</c>: a slow link that drops what waits longer; this machine's kernel has no <c>netem</c>). After the heal a silo
    /// declared dead meanwhile exits when it finds out; it is then started again, as a supervisor would.
    /// </summary>
    public async Task PartitionAsync(string id, TimeSpan cut, string? shaping = null)
    {
        Faults++;
        var link = $"p{_silos[id].Index}";
        var incarnation = (await _membership.NewestAsync(id))?.Address;
        if (shaping is null) NetworkNamespace.Ip("-n", _switch.Name, "link", "set", link, "down");
        else NetworkNamespace.Run("ip", ["netns", "exec", _switch.Name, "tc", "qdisc", "add", "dev", link, "root", .. shaping.Split(' ')]);
        Log(shaping is null ? $"{id} cut off from the other silos (link down)" : $"{id}'s link degraded: tc qdisc {shaping}");
        await Task.Delay(cut);
        if (shaping is null) NetworkNamespace.Ip("-n", _switch.Name, "link", "set", link, "up");
        else NetworkNamespace.Run("ip", "netns", "exec", _switch.Name, "tc", "qdisc", "del", "dev", link, "root");
        Log($"{id}'s link healed after {cut.TotalSeconds:0} s");
        // A cut-off silo may be declared dead only after its link is back (the votes were cast during the cut): it
        // then exits when it reads that. So watch it for the whole of AfterHeal, not only until it first answers.
        var since = Stopwatch.StartNew();
        var servedAfter = (TimeSpan?)null;
        while (since.Elapsed < AfterHeal)
        {
            Process process;
            lock (_processes) process = _processes[id];
            if (process.HasExited)
            {
                Log($"{id} exited {since.Elapsed.TotalSeconds:0.0} s after the heal (code {process.ExitCode}); started again");
                await StartAsync(id);
                return;
            }
            if (servedAfter is null && incarnation is not null && (await _membership.RowAsync(incarnation))?.Status == SiloStatus.Active && await ServesAsync(id))
                servedAfter = since.Elapsed;
            await Task.Delay(200);
        }
        if (servedAfter is { } served && incarnation is not null && (await _membership.RowAsync(incarnation))?.Status == SiloStatus.Active)
        {
            Log($"{id} served again {served.TotalSeconds:0.0} s after the heal and was still Active {AfterHeal.TotalSeconds:0} s after it (never declared dead)");
            LastHealed = _clock.Now;
            return;
        }
        Log($"{id} was not serving and Active {AfterHeal.TotalSeconds:0} s after the heal: killed and started again");
        await KillAsync(id);
        await StartAsync(id);
    }

    private async Task KillAsync(string id)
    {
        Process process;
        lock (_processes) process = _processes[id];
        if (process.HasExited) return;
        process.Kill();
        await process.WaitForExitAsync();
    }

    public async Task EnsureMembersServeAsync()
    {
        foreach (var id in Members.ToArray())
        {
            if (await ServesAsync(id)) continue;
            Log($"{id} was not serving at the end: started again");
            await KillAsync(id);
            await StartAsync(id);
        }
    }

    /// <summary>tests/Comet.History.Tests/bin/&lt;Configuration&gt;/net10.0/linux-x64/ → silo/bin/&lt;Configuration&gt;/net10.0/linux-x64/comet-silo.dll</summary>
    private static string SiloExecutable()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = here.Parent!.Parent!.Name;
        var root = here.Parent!.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        var path = Path.Combine(root, "silo", "bin", configuration, "net10.0", "linux-x64", "comet-silo.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"The silo executable is not built at {path}.", path);
    }

    private void DeleteNamespaces()
    {
        foreach (var silo in _silos.Values) silo.Ns.Dispose();
        _switch.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var id in _processes.Keys.ToArray()) await KillAsync(id);
        Http.Dispose();
        DeleteNamespaces();
    }
}
