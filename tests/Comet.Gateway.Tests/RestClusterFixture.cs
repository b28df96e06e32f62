using Comet.Gateway.Tests.Support;

namespace Comet.Gateway.Tests;

/// <summary>
/// Three real silos in this process on one temporary SQLite file, in dev mode: <c>default</c> is open to anonymous
/// loopback callers; <c>alpha</c> and <c>beta</c> need API keys. Keys refresh every 200 ms so revocations show quickly.
/// </summary>
public sealed class RestClusterFixture : ClusterFixture
{
    public const string Open = "default";
    public const string Alpha = "alpha";
    public const string Beta = "beta";

    protected override IDictionary<string, string?> Configuration => new Dictionary<string, string?>
    {
        ["Comet:Silo:Namespaces:alpha:AllowAnonymous"] = "false",
        ["Comet:Silo:Namespaces:beta:AllowAnonymous"] = "false",
        ["Comet:Silo:Security:KeyRefreshPeriod"] = "00:00:00.200",
    };
}

[CollectionDefinition(Name)]
public sealed class RestCollection : ICollectionFixture<RestClusterFixture>
{
    public const string Name = "rest cluster";
}
