using Comet.Abstractions.Versions;
using Comet.Abstractions.Options;
using Comet.Cli;
using Comet.Grid.Hosting;

namespace Comet.Client.Tests.Cli;

/// <summary>The command line against a namespace that needs an API key.</summary>
public sealed class CliAuthTests
{
    private static async Task<TestCluster> StartAsync() => await TestCluster.StartAsync(new TestClusterOptions
    {
        InitialSilosCount = 1,
        Http = false,
        ConfigureSilo = o =>
        {
            o.Namespaces["alpha"] = new NamespaceOptions { N = 1, R = 1, W = 1 };
            o.Namespaces["beta"] = new NamespaceOptions { N = 1, R = 1, W = 1 };
        },
    });

    private static string Gateway(TestCluster cluster) => $"127.0.0.1:{cluster.Primary.GatewayPort}";

    [Fact]
    public async Task With_its_key_from_the_flag_or_the_environment_the_cli_uses_the_namespace_without_one_it_exits_1_and_changes_nothing()
    {
        await using var cluster = await StartAsync();
        var alpha = await cluster.Primary.Security.Keys.CreateAsync("alpha", "cli", CancellationToken.None);
        var beta = await cluster.Primary.Security.Keys.CreateAsync("beta", "cli", CancellationToken.None);
        var gateway = Gateway(cluster);

        var put = await CliRun.RunAsync(["put", "k", "original", "--ns", "alpha", "--api-key", alpha.Key, "--gateway", gateway]);
        Assert.True(put.ExitCode == ExitCodes.Ok, put.ToString());

        var anonymous = await CliRun.RunAsync(["put", "k", "overwritten", "--ns", "alpha", "--gateway", gateway]);
        Assert.Equal(ExitCodes.Failure, anonymous.ExitCode);
        Assert.Contains("Unauthorized", anonymous.Stderr, StringComparison.Ordinal);

        var otherNamespace = await CliRun.RunAsync(["put", "k", "overwritten", "--ns", "alpha", "--api-key", beta.Key, "--gateway", gateway]);
        Assert.Equal(ExitCodes.Failure, otherNamespace.ExitCode);
        Assert.Contains("Forbidden", otherNamespace.Stderr, StringComparison.Ordinal);

        var fromEnvironment = await CliRun.RunAsync(["get", "k", "--ns", "alpha", "--gateway", gateway], null,
            new Dictionary<string, string> { [GlobalOptions.ApiKeyVariable] = alpha.Key });
        Assert.True(fromEnvironment.ExitCode == ExitCodes.Ok, fromEnvironment.ToString());
        Assert.Equal("original", fromEnvironment.Stdout);
    }
}
