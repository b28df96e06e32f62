using Comet.Abstractions.Errors;

namespace Comet.Client.Tests.Unit;

public class ClientOptionsTests
{
    private static CometClientOptions Valid() => new() { Gateways = ["127.0.0.1:30000"] };

    [Fact]
    public void Defaults_are_documented_values_and_valid_with_one_gateway()
    {
        var options = Valid();

        options.Validate();
        Assert.Equal("default", options.DefaultNamespace);
        Assert.Equal(TimeSpan.FromSeconds(10), options.RequestTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), options.ViewRefreshPeriod);
        Assert.Equal(1, options.ConnectionsPerSilo);
        Assert.True(options.AbortOnConnectFail);
        Assert.Null(options.ApiKey);
        Assert.Matches("^client-[0-9a-f]{8}$", options.ClientId);
        Assert.NotEqual(options.ClientId, new CometClientOptions().ClientId);
    }

    [Fact]
    public void No_gateway_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => new CometClientOptions().Validate());
        Assert.Contains("host:port", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("localhost")]
    [InlineData("localhost:")]
    [InlineData(":30000")]
    [InlineData("localhost:0")]
    [InlineData("localhost:65536")]
    [InlineData("localhost:http")]
    [InlineData("::1:30000")]
    public void Malformed_gateway_is_refused_with_the_expected_form(string gateway)
    {
        var options = Valid();
        options.Gateways = [gateway];

        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains("30000", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1:30000")]
    [InlineData("localhost:1")]
    [InlineData("[::1]:65535")]
    [InlineData(" silo-1.example:30000 ")]
    public void Well_formed_gateways_are_accepted(string gateway)
    {
        var options = Valid();
        options.Gateways = [gateway];

        options.Validate();
    }

    public static TheoryData<string, Action<CometClientOptions>> OutOfRange => new()
    {
        { "ConnectionsPerSilo", o => o.ConnectionsPerSilo = 0 },
        { "ConnectionsPerSilo", o => o.ConnectionsPerSilo = 3 },
        { "RequestTimeout", o => o.RequestTimeout = TimeSpan.Zero },
        { "ConnectTimeout", o => o.ConnectTimeout = TimeSpan.FromSeconds(-1) },
        { "ViewRefreshPeriod", o => o.ViewRefreshPeriod = TimeSpan.Zero },
        { "FailedSiloCooldown", o => o.FailedSiloCooldown = TimeSpan.FromSeconds(-1) },
        { "ClientId", o => o.ClientId = "" },
        { "ClientId", o => o.ClientId = new string('c', 257) },
        { "ApiKey", o => o.ApiKey = new string('k', 8 * 1024 + 1) },
        { "DefaultNamespace", o => o.DefaultNamespace = "Not A Namespace" },
        { "MaxValueBytes", o => o.Limits.MaxValueBytes = 0 },
    };

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public void Each_out_of_range_setting_is_refused_by_name(string name, Action<CometClientOptions> spoil)
    {
        ArgumentNullException.ThrowIfNull(spoil);
        var options = Valid();
        spoil(options);

        var error = Assert.ThrowsAny<ArgumentException>(options.Validate);
        Assert.Equal(name, error.ParamName);
    }

    [Fact]
    public void Infinite_timeouts_and_refresh_are_allowed()
    {
        var options = Valid();
        options.RequestTimeout = Timeout.InfiniteTimeSpan;
        options.ConnectTimeout = Timeout.InfiniteTimeSpan;
        options.ViewRefreshPeriod = Timeout.InfiniteTimeSpan;

        options.Validate();
    }

    [Fact]
    public async Task Connect_with_invalid_options_fails_before_any_network()
    {
        var options = new CometClientOptions { Gateways = [ClosedPort.Gateway()], ConnectionsPerSilo = 5 };

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => CometClient.ConnectAsync(options));
    }

    [Fact]
    public async Task Connect_to_a_closed_port_fails_unavailable_naming_the_gateway()
    {
        var gateway = ClosedPort.Gateway();

        var error = await Assert.ThrowsAsync<CometException>(() => CometClient.ConnectAsync(new CometClientOptions { Gateways = [gateway] }));

        Assert.Equal(CometErrorCode.Unavailable, error.Code);
        Assert.Contains(gateway, error.Message, StringComparison.Ordinal);
        Assert.Contains("running", error.Message, StringComparison.Ordinal);
    }
}
