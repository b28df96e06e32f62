namespace Comet.Silo.Tests;

/// <summary>The silo's command line, parsed in-process: what each flag sets, and every mistake stops with exit code 2.</summary>
public class SiloCommandLineTests
{
    private sealed record Run(SiloArguments Arguments, string Stdout, string Stderr);

    private static Run Parse(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var arguments = SiloCommandLine.Parse(args, stdout, stderr);
        return new Run(arguments, stdout.ToString(), stderr.ToString());
    }

    private static void AssertOneLineError(Run run, string mentions)
    {
        Assert.Equal(SiloCommandLine.UsageError, run.Arguments.ExitCode);
        Assert.False(run.Arguments.ShouldStart);
        Assert.Equal("", run.Stdout);
        var line = Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("comet-silo: ", line, StringComparison.Ordinal);
        Assert.Contains(mentions, line, StringComparison.Ordinal);
        Assert.EndsWith("Run 'comet-silo --help' for the options.", line.TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public void Help_lists_every_flag_with_its_configuration_key_and_exits_0_without_starting()
    {
        var run = Parse("--help");

        Assert.Equal(0, run.Arguments.ExitCode);
        Assert.False(run.Arguments.ShouldStart);
        foreach (var (flag, key) in SiloCommandLine.Switches)
        {
            Assert.Contains(flag, run.Stdout, StringComparison.Ordinal);
            Assert.Contains(key, run.Stdout, StringComparison.Ordinal);
        }
        Assert.Contains("--version", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("Comet__Silo__HttpPort", run.Stdout, StringComparison.Ordinal);
        Assert.Equal("", run.Stderr);
    }

    [Fact]
    public void Help_wins_over_a_mistake_on_the_same_line()
    {
        var run = Parse("--http-port", "nope", "--help");

        Assert.Equal(0, run.Arguments.ExitCode);
        Assert.Contains("--http-port", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Version_prints_the_version_and_exits_0()
    {
        var run = Parse("--version");

        Assert.Equal(0, run.Arguments.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", run.Stdout);
    }

    [Fact]
    public void Every_existing_flag_sets_its_configuration_key()
    {
        var dir = Directory.CreateTempSubdirectory("comet-silo-cli-");
        try
        {
            var db = Path.Combine(dir.FullName, "data", "comet.db");
            var run = Parse(
                "--silo-id", "silo-7", "--host", "10.0.0.7", "--silo-port", "11117", "--gateway-port", "30007", "--http-port", "8087",
                "--partitions", "256", "--data", db, "--storage", "memory", "--azure-connection-string", "UseDevelopmentStorage=true",
                "--azure-table-endpoint", "https://a.table.core.windows.net", "--azure-identity-client-id", "cid", "--azure-table-prefix", "p1",
                "--silos", "5", "--dev", "false", "--admin-key", "ak", "--tls-certificate", "c.pfx",
                "--tls-certificate-password", "pw");

            Assert.True(run.Arguments.ShouldStart, run.Stderr);
            var expected = new Dictionary<string, string?>
            {
                ["Comet:Silo:SiloId"] = "silo-7",
                ["Comet:Silo:Host"] = "10.0.0.7",
                ["Comet:Silo:SiloPort"] = "11117",
                ["Comet:Silo:GatewayPort"] = "30007",
                ["Comet:Silo:HttpPort"] = "8087",
                ["Comet:Silo:Partitions"] = "256",
                ["Comet:Storage:SqlitePath"] = db,
                ["Comet:Storage:Provider"] = "memory",
                ["Comet:Storage:AzureConnectionString"] = "UseDevelopmentStorage=true",
                ["Comet:Storage:AzureTableEndpoint"] = "https://a.table.core.windows.net",
                ["Comet:Storage:AzureManagedIdentityClientId"] = "cid",
                ["Comet:Storage:AzureTableNamePrefix"] = "p1",
                ["Comet:LocalCluster:Silos"] = "5",
                ["Comet:Silo:DevMode"] = "false",
                ["Comet:Silo:Admin:Key"] = "ak",
                ["Comet:Silo:Security:CertificatePath"] = "c.pfx",
                ["Comet:Silo:Security:CertificatePassword"] = "pw",
            };
            Assert.Equal(expected.OrderBy(p => p.Key), run.Arguments.Configuration.OrderBy(p => p.Key));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Flags_left_out_set_nothing_so_the_environment_and_appsettings_still_apply()
    {
        var run = Parse();

        Assert.True(run.Arguments.ShouldStart);
        Assert.Empty(run.Arguments.Configuration);
    }

    [Fact]
    public void A_bare_switch_means_true()
    {
        var run = Parse("--dev", "--log-requests");

        Assert.Equal("true", run.Arguments.Configuration["Comet:Silo:DevMode"]);
        Assert.Equal("Information", run.Arguments.Configuration[SiloCommandLine.RequestLogKey]);
    }

    [Theory]
    [InlineData("--Comet:Silo:AntiEntropyPeriod", "00:00:02")]
    [InlineData("--Comet:Silo:AntiEntropyPeriod=00:00:02")]
    public void Any_configuration_key_can_be_given_as_a_flag(params string[] args)
    {
        var run = Parse([.. args, "--http-port", "0"]);

        Assert.True(run.Arguments.ShouldStart, run.Stderr);
        Assert.Equal("00:00:02", run.Arguments.Configuration["Comet:Silo:AntiEntropyPeriod"]);
        Assert.Equal("0", run.Arguments.Configuration["Comet:Silo:HttpPort"]);
    }

    [Fact]
    public void Options_also_take_the_option_colon_value_form()
    {
        var run = Parse("--http-port:8085");

        Assert.True(run.Arguments.ShouldStart, run.Stderr);
        Assert.Equal("8085", run.Arguments.Configuration["Comet:Silo:HttpPort"]);
    }

    [Theory]
    [InlineData("--frobnicate")]
    [InlineData("--frobnicate", "3")]
    [InlineData("--http-port", "8080", "--frobnicate")]
    public void An_unknown_flag_exits_2_with_one_line(params string[] args) => AssertOneLineError(Parse(args), "unknown option '--frobnicate'");

    [Fact]
    public void A_stray_argument_exits_2() => AssertOneLineError(Parse("8080"), "unexpected argument '8080'");

    [Fact]
    public void A_configuration_key_without_a_value_exits_2() => AssertOneLineError(Parse("--Comet:Silo:ProbePeriod"), "needs a value");

    [Theory]
    [InlineData("--http-port", "abc")]
    [InlineData("--http-port", "65536")]
    [InlineData("--http-port", "-2")]
    [InlineData("--silo-port", "-1")]
    [InlineData("--gateway-port", "1e3")]
    [InlineData("--silo-port", "99999999999")]
    [InlineData("--silo-port", "0")]
    [InlineData("--gateway-port", "0")]
    public void A_bad_port_exits_2_and_says_what_a_port_is(string flag, string value) =>
        AssertOneLineError(Parse(flag, value), $"{flag} '{value}' is not a port: give a number from");

    [Theory]
    [InlineData("--http-port", "0")]
    [InlineData("--http-port", "-1")]
    [InlineData("--silo-port", "65535")]
    public void Http_may_take_any_free_port_or_be_off_and_silo_ports_go_to_65535(string flag, string value) =>
        Assert.True(Parse(flag, value).Arguments.ShouldStart);

    [Fact]
    public void A_port_flag_without_a_value_exits_2() => AssertOneLineError(Parse("--gateway-port"), "--gateway-port");

    [Fact]
    public void An_unknown_storage_provider_exits_2() => AssertOneLineError(Parse("--storage", "s3"), "give sqlite, azure or memory");

    [Theory]
    [InlineData("1000")]
    [InlineData("0")]
    public void Partitions_must_be_a_power_of_two(string value) => AssertOneLineError(Parse("--partitions", value), "not a power of two");

    [Fact]
    public void A_data_path_whose_directory_cannot_be_created_exits_2()
    {
        // A regular file where the directory should be: it cannot be created, whoever runs the test (root too).
        var file = Path.GetTempFileName();
        try
        {
            var data = Path.Combine(file, "data", "comet.db");

            var run = Parse("--data", data);

            AssertOneLineError(run, $"--data '{data}': cannot create or write the directory");
            Assert.Contains("choose a directory this user can write", run.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_data_path_that_is_a_directory_exits_2()
    {
        var dir = Directory.CreateTempSubdirectory("comet-silo-cli-");
        try
        {
            AssertOneLineError(Parse("--data", dir.FullName), "is a directory: give the database file inside it");
        }
        finally
        {
            dir.Delete();
        }
    }

    [Fact]
    public void A_writable_data_path_has_its_directory_created_and_nothing_left_behind()
    {
        var dir = Directory.CreateTempSubdirectory("comet-silo-cli-");
        try
        {
            var data = Path.Combine(dir.FullName, "new", "comet.db");

            var run = Parse("--data", data);

            Assert.True(run.Arguments.ShouldStart, run.Stderr);
            Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(dir.FullName, "new")));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
