using Comet.History.Tests.Runs;

namespace Comet.History.Tests.Nemeses;

/// <summary>The phases runs are made of, one per nemesis, by name (the soak's <c>COMET_HISTORY_NEMESES</c> lists them).</summary>
internal static class NemesisPhases
{
    public static readonly string[] All = ["kill", "freeze", "join-leave", "restart-all"];

    /// <summary>The cluster's start-up under load: the clients send from before the first silo process exists.</summary>
    public static Phase StartUp(TimeSpan load, params string[] silos) => new("startup", load, grid => grid.StartAsync(silos));

    public static Phase Named(string name, TimeSpan load, Random random) => name switch
    {
        "none" => new Phase(name, load, _ => Task.CompletedTask),
        "kill" => new Phase(name, load, async any =>
        {
            var grid = (Grid)any;
            await Task.Delay(TimeSpan.FromSeconds(3));
            await grid.KillAndRestartAsync(AnyMember(grid, random), TimeSpan.FromMilliseconds(random.Next(500, 3000)));
        }),
        "freeze" => new Phase(name, load, async any =>
        {
            var grid = (Grid)any;
            await Task.Delay(TimeSpan.FromSeconds(3));
            await grid.FreezeAndThawAsync(AnyMember(grid, random), TimeSpan.FromSeconds(random.Next(4, 16)));
        }),
        "join-leave" => new Phase(name, load, async any =>
        {
            var grid = (Grid)any;
            // A spare silo joins; a while later one member (never the newcomer) leaves and becomes the spare.
            await Task.Delay(TimeSpan.FromSeconds(2));
            var spare = grid.Cluster.Ids.FirstOrDefault(id => !grid.Members.Contains(id))
                ?? throw new InvalidOperationException("join-leave needs a silo slot that is not a member (RunOptions.Silos above the members)");
            await grid.StartAsync(spare);
            await Task.Delay(TimeSpan.FromSeconds(6));
            await grid.LeaveAsync(grid.Members.Where(id => id != spare).OrderBy(_ => random.Next()).First());
        }),
        "restart-all" => new Phase(name, load, async any =>
        {
            var grid = (Grid)any;
            await Task.Delay(TimeSpan.FromSeconds(3));
            await grid.KillAllAndRestartAsync(TimeSpan.FromSeconds(1));
        }),
        _ => throw new ArgumentException($"no nemesis '{name}': give none, {string.Join(", ", All)}", nameof(name)),
    };

    private static string AnyMember(Grid grid, Random random) => grid.Members.Order(StringComparer.Ordinal).ElementAt(random.Next(grid.Members.Count));
}

/// <summary>Phases of real network partitions between silo processes in network namespaces (<see cref="NamespacedGrid"/>).</summary>
internal static class PartitionPhases
{
    public static readonly string[] All = ["partition", "slow-link"];

    public static Phase Named(string name, TimeSpan load, Random random) => name switch
    {
        "partition" => new Phase(name, load, async any =>
        {
            var grid = (NamespacedGrid)any;
            await Task.Delay(TimeSpan.FromSeconds(3));
            // Long enough, often, for the cut-off silo to be declared dead (about 8 s) and to fence itself once the link is back.
            await grid.PartitionAsync(AnyMember(grid, random), TimeSpan.FromSeconds(random.Next(6, 21)));
        }),
        "slow-link" => new Phase(name, load, async any =>
        {
            // tc's netem is not in this machine's kernel; a token bucket this narrow delays and drops instead.
            var grid = (NamespacedGrid)any;
            await Task.Delay(TimeSpan.FromSeconds(3));
            await grid.PartitionAsync(AnyMember(grid, random), TimeSpan.FromSeconds(12), "tbf rate 128kbit burst 4kbit latency 300ms");
        }),
        _ => throw new ArgumentException($"no partition nemesis '{name}': give {string.Join(", ", All)}", nameof(name)),
    };

    private static string AnyMember(IGrid grid, Random random) => grid.Members.Order(StringComparer.Ordinal).ElementAt(random.Next(grid.Members.Count));
}
