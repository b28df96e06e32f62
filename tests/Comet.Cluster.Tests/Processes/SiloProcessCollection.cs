namespace Comet.Cluster.Tests.Processes;

/// <summary>
/// The fault tests share one cluster of silo processes and run one at a time: each kills or freezes silos, and two
/// such tests at once on 2 cores would measure each other. Each test starts from every silo serving
/// (<see cref="ProcessCluster.EnsureAllServingAsync"/>) and uses keys of its own.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SiloProcessCollection : ICollectionFixture<ProcessCluster>
{
    public const string Name = "silo processes";
}
