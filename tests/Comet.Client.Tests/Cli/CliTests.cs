using Comet.Abstractions.Errors;
using Comet.Cli;
using Comet.Client.Tests.Unit;

namespace Comet.Client.Tests.Cli;

/// <summary>The command line without a cluster: syntax, help, bad input and an unreachable gateway.</summary>
public class CliTests
{
    [Fact]
    public async Task Help_lists_the_commands_and_documents_the_exit_codes()
    {
        var run = await CliRun.RunAsync("--help");

        Assert.Equal(0, run.ExitCode);
        foreach (var command in new[] { "put", "get", "del", "aso", "history", "cluster", "bench" }) Assert.Contains(command, run.Stdout, StringComparison.Ordinal);
        Assert.Contains("Exit codes:", run.Stdout, StringComparison.Ordinal);
        foreach (var (code, meaning) in ExitCodes.Documentation) Assert.Contains($"{code}  {meaning}", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("COMET_GATEWAY", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_shows_an_example_of_every_command()
    {
        var run = await CliRun.RunAsync("--help");
        var commands = CliApp.BuildRoot(new CliContext(TextWriter.Null, TextWriter.Null, Stream.Null, _ => null)).Subcommands;

        Assert.Contains("Examples:", run.Stdout, StringComparison.Ordinal);
        Assert.NotEmpty(commands);
        foreach (var command in commands)
            Assert.Matches($@"(?m)^  comet {command.Name}( |$)", run.Stdout);
    }

    [Theory]
    [InlineData("put", "comet put greeting hello")]
    [InlineData("bench", "comet bench --keys")]
    public async Task A_commands_help_shows_its_example(string command, string example)
    {
        var run = await CliRun.RunAsync(command, "--help");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Example:", run.Stdout, StringComparison.Ordinal);
        Assert.Contains(example, run.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Exit codes:", run.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bench", "--reads", "101")]
    [InlineData("bench", "--ops", "0")]
    [InlineData("bench", "--concurrency", "-1")]
    [InlineData("bench", "--value-bytes", "-5")]
    public async Task Bench_options_out_of_range_are_bad_input(params string[] args)
    {
        var run = await CliRun.RunAsync([.. args, "--gateway", ClosedPort.Gateway()]);

        Assert.Equal(ExitCodes.BadInput, run.ExitCode);
        Assert.StartsWith("error: BadRequest: ", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bench_against_an_unreachable_gateway_is_unavailable()
    {
        var run = await CliRun.RunAsync("bench", "--keys", "5", "--gateway", ClosedPort.Gateway());

        Assert.Equal(ExitCodes.Unavailable, run.ExitCode);
        Assert.StartsWith("error: Unavailable: ", run.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("get")]
    [InlineData("get", "k", "--n", "three")]
    [InlineData("put", "k", "v", "--surprise")]
    public async Task Command_line_syntax_errors_are_bad_input(params string[] args)
    {
        var run = await CliRun.RunAsync(args);

        Assert.Equal(ExitCodes.BadInput, run.ExitCode);
        Assert.StartsWith("error: BadRequest: ", run.Stderr, StringComparison.Ordinal);
        Assert.Equal("", run.Stdout);
    }

    [Fact]
    public async Task A_bad_key_is_bad_input_without_reaching_any_gateway()
    {
        var run = await CliRun.RunAsync("get", "", "--gateway", ClosedPort.Gateway());

        Assert.Equal(ExitCodes.BadInput, run.ExitCode);
        Assert.StartsWith("error: BadKey: ", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_namespace_is_bad_input()
    {
        var run = await CliRun.RunAsync("get", "k", "--ns", "Not OK", "--gateway", ClosedPort.Gateway());

        Assert.Equal(ExitCodes.BadInput, run.ExitCode);
        Assert.StartsWith("error: BadKey: ", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Put_without_a_value_says_how_to_give_one()
    {
        var run = await CliRun.RunAsync("put", "k", "--gateway", ClosedPort.Gateway());

        Assert.Equal(ExitCodes.BadInput, run.ExitCode);
        Assert.Contains("--file", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_that_cannot_be_read_is_bad_input()
    {
        var run = await CliRun.RunAsync("aso", "k", "/no/such/dir/object.lua", "--gateway", ClosedPort.Gateway());

        Assert.Equal(ExitCodes.BadInput, run.ExitCode);
        Assert.Contains("/no/such/dir/object.lua", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_gateway_is_bad_input()
    {
        var run = await CliRun.RunAsync("cluster", "--gateway", "nohost");

        Assert.Equal(ExitCodes.BadInput, run.ExitCode);
        Assert.Equal("error: BadRequest: Gateway 'nohost' has no port; write it as host:port, e.g. 127.0.0.1:30000.", run.Stderr.TrimEnd());
    }

    [Fact]
    public async Task An_unreachable_gateway_is_unavailable()
    {
        var gateway = ClosedPort.Gateway();

        var run = await CliRun.RunAsync("get", "k", "--gateway", gateway);

        Assert.Equal(ExitCodes.Unavailable, run.ExitCode);
        Assert.StartsWith("error: Unavailable: ", run.Stderr, StringComparison.Ordinal);
        Assert.Contains(gateway, run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_gateway_option_the_COMET_GATEWAY_variable_names_the_gateway()
    {
        var gateway = ClosedPort.Gateway();

        var run = await CliRun.RunAsync(["cluster"], environment: new Dictionary<string, string> { ["COMET_GATEWAY"] = gateway });

        Assert.Equal(ExitCodes.Unavailable, run.ExitCode);
        Assert.Contains(gateway, run.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(CometErrorCode.NotFound, 2)]
    [InlineData(CometErrorCode.Rejected, 3)]
    [InlineData(CometErrorCode.HandlerError, 3)]
    [InlineData(CometErrorCode.InstructionLimit, 3)]
    [InlineData(CometErrorCode.MemoryLimit, 3)]
    [InlineData(CometErrorCode.TimeLimit, 3)]
    [InlineData(CometErrorCode.Conflict, 3)]
    [InlineData(CometErrorCode.BadRequest, 4)]
    [InlineData(CometErrorCode.BadKey, 4)]
    [InlineData(CometErrorCode.BadCode, 4)]
    [InlineData(CometErrorCode.TooLarge, 4)]
    [InlineData(CometErrorCode.UnknownNamespace, 4)]
    [InlineData(CometErrorCode.Unavailable, 5)]
    [InlineData(CometErrorCode.QuorumNotReached, 5)]
    [InlineData(CometErrorCode.Timeout, 5)]
    [InlineData(CometErrorCode.RateLimited, 5)]
    [InlineData(CometErrorCode.Unauthorized, 1)]
    [InlineData(CometErrorCode.Forbidden, 1)]
    [InlineData(CometErrorCode.MalformedFrame, 1)]
    [InlineData(CometErrorCode.Internal, 1)]
    public void Each_error_code_has_its_documented_exit_code(CometErrorCode code, int exit) => Assert.Equal(exit, ExitCodes.Of(code));

    [Fact]
    public void Every_error_code_is_covered_by_the_exit_code_table()
    {
        foreach (var code in Enum.GetValues<CometErrorCode>()) Assert.InRange(ExitCodes.Of(code), 1, 5);
    }
}
