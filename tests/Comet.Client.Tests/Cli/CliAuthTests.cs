using Comet.Cli;
using Comet.Gateway.Security;
using Comet.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace Comet.Client.Tests.Cli;

/// <summary>The command line against a namespace that needs an API key, on a real silo.</summary>
public sealed class CliAuthTests
{
    [Fact]
    public async Task With_its_key_from_the_flag_or_the_environment_the_cli_uses_the_namespace_without_one_it_exits_1_and_changes_nothing()
    {
        await using var cluster = await SiloCluster.StartAsync(1, new Dictionary<string, string?>
        {
            // The CLI joins the default cluster id; this cluster has its own file, so the id cannot collide.
            ["Comet:Silo:ClusterId"] = Grains.CometCluster.DefaultClusterId,
            ["Comet:Silo:Namespaces:alpha:N"] = "1",
            ["Comet:Silo:Namespaces:alpha:R"] = "1",
            ["Comet:Silo:Namespaces:alpha:W"] = "1",
            ["Comet:Silo:Namespaces:beta:N"] = "1",
            ["Comet:Silo:Namespaces:beta:R"] = "1",
            ["Comet:Silo:Namespaces:beta:W"] = "1",
        });
        var keys = cluster.Silos[0].Services.GetRequiredService<ApiKeyStore>();
        var alpha = await keys.CreateAsync("alpha", "cli", CancellationToken.None);
        var beta = await keys.CreateAsync("beta", "cli", CancellationToken.None);
        var gateway = cluster.Gateway(0);

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
