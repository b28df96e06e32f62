using Comet.Grid.Hosting;
using Comet.Grid.Replication;
using Comet.Sandbox;
using Microsoft.Extensions.Logging;

namespace Comet.Grid.Grains;

/// <summary>What every key grain of one silo shares: options, the sandbox, storage, time and the neighbour API.</summary>
public sealed class GrainRuntime
{
    public GrainRuntime(SiloOptions options, AsoRuntime sandbox, ReplicaStore store, TimerRegistry timers, IAsoNeighbours neighbours, TimeProvider time, ILogger logger)
    {
        Options = options;
        Sandbox = sandbox;
        Store = store;
        Timers = timers;
        Neighbours = neighbours;
        Time = time;
        Logger = logger;
    }

    public SiloOptions Options { get; }

    public AsoRuntime Sandbox { get; }

    public ReplicaStore Store { get; }

    public TimerRegistry Timers { get; }

    public IAsoNeighbours Neighbours { get; }

    public TimeProvider Time { get; }

    public ILogger Logger { get; }

    /// <summary>Grains whose replica-local state changed; the catalog writes them after a short delay.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<KeyGrain> DirtyGrains { get; } = new();

    public long NowMs() => Time.GetUtcNow().ToUnixTimeMilliseconds();
}
