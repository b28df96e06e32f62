namespace Comet.Silo.Tests;

/// <summary>
/// The configuration the silo host starts with: default log levels under appsettings.json and the environment, flags over
/// everything. In the process-environment collection: these tests set environment variables the child processes would see.
/// </summary>
[Collection(ProcessEnvironment.Name)]
public class SiloConfigurationTests
{
    private static SiloArguments Parse(params string[] args) => SiloCommandLine.Parse(args, TextWriter.Null, TextWriter.Null);

    [Fact]
    public void Environment_variables_bind_the_same_keys_as_the_flags_and_a_flag_wins()
    {
        Environment.SetEnvironmentVariable("Comet__Silo__HttpPort", "8181");
        Environment.SetEnvironmentVariable("Comet__Silo__SiloId", "from-env");
        try
        {
            var fromEnvironment = Parse().CreateHostBuilder().Configuration;
            var fromFlag = Parse("--http-port", "8282").CreateHostBuilder().Configuration;

            Assert.Equal("8181", fromEnvironment["Comet:Silo:HttpPort"]);
            Assert.Equal("from-env", fromEnvironment["Comet:Silo:SiloId"]);
            Assert.Equal("8282", fromFlag["Comet:Silo:HttpPort"]);
            Assert.Equal("from-env", fromFlag["Comet:Silo:SiloId"]);
        }
        finally
        {
            Environment.SetEnvironmentVariable("Comet__Silo__HttpPort", null);
            Environment.SetEnvironmentVariable("Comet__Silo__SiloId", null);
        }
    }

    [Fact]
    public void Request_logs_are_off_by_default_and_on_with_log_requests()
    {
        var quiet = Parse().CreateHostBuilder().Configuration;
        var loud = Parse("--log-requests").CreateHostBuilder().Configuration;

        Assert.Equal("Information", quiet["Logging:LogLevel:Default"]);
        Assert.Equal("Warning", quiet[SiloCommandLine.RequestLogKey]);
        Assert.Equal("Information", loud[SiloCommandLine.RequestLogKey]);
    }

    [Fact]
    public void An_operator_can_opt_into_request_logs_from_the_environment()
    {
        Environment.SetEnvironmentVariable("Logging__LogLevel__Microsoft.AspNetCore", "Information");
        try
        {
            Assert.Equal("Information", Parse().CreateHostBuilder().Configuration[SiloCommandLine.RequestLogKey]);
        }
        finally
        {
            Environment.SetEnvironmentVariable("Logging__LogLevel__Microsoft.AspNetCore", null);
        }
    }
}

/// <summary>Tests that change or depend on this process's environment variables run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessEnvironment
{
    public const string Name = "process environment";
}
