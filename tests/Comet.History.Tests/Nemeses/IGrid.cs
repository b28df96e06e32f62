namespace Comet.History.Tests.Nemeses;

/// <summary>A grid of silo processes that a run's clients talk to and its nemeses hurt; what a <c>HistoryRun</c> needs of it.</summary>
internal interface IGrid : IAsyncDisposable
{
    /// <summary>Where REST clients send now: (silo id, REST base address).</summary>
    IReadOnlyList<(string Id, string Address)> Targets();

    /// <summary>The SDK gateways (host:port); empty when SDK clients cannot reach the silos.</summary>
    IReadOnlyList<string> Gateways { get; }

    /// <summary>The silos that belong to the cluster now (started and not removed).</summary>
    HashSet<string> Members { get; }

    /// <summary>An HTTP client that reaches every silo's REST address.</summary>
    HttpClient Http { get; }

    string RestOf(string id);

    /// <summary>The run's directory: database, silo logs, report.</summary>
    string Directory { get; }

    /// <summary>When the last fault ended (on the run's clock).</summary>
    TimeSpan LastHealed { get; }

    int Faults { get; }

    IEnumerable<string> Events { get; }

    void Log(string text);

    /// <summary>Starts silos at once and returns when each serves.</summary>
    Task StartAsync(params string[] ids);

    /// <summary>Before the final reads: every member runs and serves.</summary>
    Task EnsureMembersServeAsync();
}
