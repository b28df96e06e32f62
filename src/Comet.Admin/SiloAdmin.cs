using Comet.Grid.Hosting;

namespace Comet.Admin;

/// <summary>How the host of a silo wants drain and stop carried out (the executable stops its process; tests use TestCluster).</summary>
public sealed class AdminHostOptions
{
    /// <summary>Stops the silo cleanly. Default: <see cref="Silo.StopAsync"/>.</summary>
    public Func<Silo, Task>? StopSilo { get; set; }
}

/// <summary>The admin API's view of one silo: the silo, how its host stops it, and whether it has been drained.</summary>
public sealed class SiloAdmin
{
    private int _drained;
    private int _stopping;

    public SiloAdmin(Silo silo, AdminHostOptions? host)
    {
        Silo = silo;
        Host = host ?? new AdminHostOptions();
    }

    public Silo Silo { get; }

    public AdminHostOptions Host { get; }

    /// <summary>"running", "drained" (left the ring, still serving its admin API) or "stopping".</summary>
    public string State => Volatile.Read(ref _stopping) != 0 ? "stopping" : Volatile.Read(ref _drained) != 0 ? "drained" : "running";

    /// <summary>Marks the silo drained; false when it already was.</summary>
    public bool MarkDrained() => Interlocked.Exchange(ref _drained, 1) == 0;

    /// <summary>Marks the silo stopping; false when it already was.</summary>
    public bool MarkStopping() => Interlocked.Exchange(ref _stopping, 1) == 0;

    public Task StopAsync() => Host.StopSilo is { } stop ? stop(Silo) : Silo.StopAsync();
}
