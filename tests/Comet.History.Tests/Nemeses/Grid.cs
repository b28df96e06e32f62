using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Comet.Cluster.Tests.Processes;
using Comet.History.Tests.Recording;
using Orleans.Runtime;

namespace Comet.History.Tests.Nemeses;

/// <summary>
/// The grid under test: real <c>comet-silo</c> processes (<see cref="ProcessCluster"/>: loopback ports, one SQLite
/// file) and the faults done to them, each logged on the run's clock. <see cref="LastHealed"/> is when the last fault
/// ended (the silo serving again, thawed, joined or gone), from which convergence is timed.
/// </summary>
internal sealed class Grid(int silos, RunClock clock) : IGrid
{
    /// <summary>How long a thawed silo has to show whether it serves again or fences itself (exits, declared dead meanwhile).</summary>
    private static readonly TimeSpan AfterThaw = TimeSpan.FromSeconds(20);

    private readonly ConcurrentQueue<string> _events = new();

    public ProcessCluster Cluster { get; } = new(silos);

    public HttpClient Http { get; } = RestKeyValueClient.CreateHttp();

    public string Directory => Cluster.Directory;

    public string RestOf(string id) => Cluster[id].Rest;

    /// <summary>The silos that belong to the cluster now (started and not removed), whatever their state.</summary>
    public HashSet<string> Members { get; } = new(StringComparer.Ordinal);

    public TimeSpan LastHealed { get; private set; }

    public int Faults { get; private set; }

    public IEnumerable<string> Events => _events;

    /// <summary>Where REST clients send: every silo process that runs and is not frozen (one that is still starting too).</summary>
    public IReadOnlyList<(string Id, string Address)> Targets() =>
        [.. Cluster.Ids.Where(id => Runs(id) && !Cluster[id].IsFrozen).Select(id => (id, Cluster[id].Rest))];

    /// <summary>Whether the silo's process runs; false while a restart swaps its process object (read from client threads).</summary>
    private bool Runs(string id)
    {
        try
        {
            return Cluster[id].IsRunning;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Every silo's SDK gateway endpoint (the client finds out which answer).</summary>
    public IReadOnlyList<string> Gateways => [.. Cluster.Ids.Select(id => $"127.0.0.1:{Cluster[id].Ports.Gateway.ToString(CultureInfo.InvariantCulture)}")];

    public void Log(string text) => _events.Enqueue($"t={clock.Now.TotalSeconds:0.0}s {text}");

    /// <summary>Starts silos at once (a cluster start-up, or joins) and returns when each is Active and serves REST.</summary>
    public async Task StartAsync(params string[] ids)
    {
        Log($"start {string.Join(", ", ids)}");
        await Task.WhenAll(ids.Select(async id =>
        {
            var times = await Cluster.StartAsync(id);
            Members.Add(id);
            Log($"{id} Active after {times.ToActive.TotalSeconds:0.0} s, serving after {times.ToServing.TotalSeconds:0.0} s");
        }));
        Healed();
    }

    /// <summary>kill -9, then (after <paramref name="down"/>) the same silo started again with its id and ports.</summary>
    public async Task KillAndRestartAsync(string id, TimeSpan down)
    {
        Faults++;
        await Cluster.KillAsync(id);
        Log($"kill -9 {id}");
        await Task.Delay(down);
        await StartAsync(id);
    }

    /// <summary>kill -9 of every member at once (a power cut), then all started again together.</summary>
    public async Task KillAllAndRestartAsync(TimeSpan down)
    {
        Faults++;
        var ids = Members.ToArray();
        await Task.WhenAll(ids.Select(id => Cluster.KillAsync(id)));
        Log($"kill -9 of every silo ({string.Join(", ", ids)})");
        await Task.Delay(down);
        await StartAsync(ids);
    }

    /// <summary>
    /// SIGSTOP for <paramref name="frozen"/>, then SIGCONT. A silo frozen long enough to be declared dead finds out
    /// when it wakes and exits (Orleans fences it); its supervisor, here, starts it again.
    /// </summary>
    public async Task FreezeAndThawAsync(string id, TimeSpan frozen)
    {
        Faults++;
        var incarnation = await Cluster.FreezeAsync(id);
        Log($"SIGSTOP {id}");
        await Task.Delay(frozen);
        var silo = Cluster[id];
        await silo.ThawAsync();
        Log($"SIGCONT {id} after {frozen.TotalSeconds:0} s");
        var since = Stopwatch.StartNew();
        while (since.Elapsed < AfterThaw)
        {
            if (!silo.IsRunning)
            {
                Log($"{id} exited {since.Elapsed.TotalSeconds:0.0} s after SIGCONT (code {silo.ExitCode}); started again");
                await StartAsync(id);
                return;
            }
            var row = await Cluster.Membership.RowAsync(incarnation);
            if (row?.Status == SiloStatus.Active
                && (await Cluster.Http.GetAsync($"{silo.Rest}/v1/default/keys/thaw-probe?r=1")).StatusCode is System.Net.HttpStatusCode.NotFound or System.Net.HttpStatusCode.OK)
            {
                silo.IsServing = true;
                Log($"{id} serves again {since.Elapsed.TotalSeconds:0.0} s after SIGCONT (never declared dead)");
                Healed();
                return;
            }
            await Task.Delay(200);
        }
        Log($"{id} neither served nor exited within {AfterThaw.TotalSeconds:0} s of SIGCONT: killed and started again");
        await Cluster.KillAsync(id);
        await StartAsync(id);
    }

    /// <summary>A silo leaves the cluster the way an operator stops one: SIGTERM, Orleans's graceful shutdown.</summary>
    public async Task LeaveAsync(string id)
    {
        Faults++;
        var silo = Cluster[id];
        silo.IsServing = false;
        Members.Remove(id);
        using (var term = Process.Start("kill", ["-TERM", silo.Pid!.Value.ToString(CultureInfo.InvariantCulture)])) await term.WaitForExitAsync();
        Log($"SIGTERM {id} (leaves)");
        if (!await silo.WaitForExitAsync(TimeSpan.FromSeconds(60)))
        {
            Log($"{id} still ran 60 s after SIGTERM: killed");
            await silo.KillAsync();
        }
        Log($"{id} left (exit code {silo.ExitCode})");
        Healed();
    }

    /// <summary>Before the final reads: every member runs and serves (one left frozen or dead is started again).</summary>
    public async Task EnsureMembersServeAsync()
    {
        foreach (var id in Members.ToArray())
        {
            var silo = Cluster[id];
            if (silo.IsRunning && !silo.IsFrozen && silo.IsServing) continue;
            Log($"{id} was not serving at the end: started again");
            if (silo.IsRunning) await silo.KillAsync();
            await StartAsync(id);
        }
    }

    private void Healed() => LastHealed = clock.Now;

    public async ValueTask DisposeAsync()
    {
        await Cluster.DisposeAsync();
        Http.Dispose();
    }
}
