using Comet.Abstractions.Errors;
using Comet.Client.Connection;
using Comet.Grains;

namespace Comet.Client.Tests.Unit;

public class ClientOptionsTests
{
    [Fact]
    public void Defaults_are_documented_values_and_valid()
    {
        var options = new CometClientOptions();

        options.Validate();
        Assert.Equal(["127.0.0.1:30000"], options.Gateways);
        Assert.Equal(CometCluster.DefaultClusterId, options.ClusterId);
        Assert.Equal(CometCluster.DefaultServiceId, options.ServiceId);
        Assert.Equal("default", options.DefaultNamespace);
        Assert.Equal(TimeSpan.FromSeconds(10), options.RequestTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), options.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), options.ViewRefreshPeriod);
        Assert.Equal(1, options.ConnectionsPerSilo);
        Assert.True(options.AbortOnConnectFail);
        Assert.Null(options.ApiKey);
        Assert.Null(options.Tls);
    }

    [Fact]
    public void No_gateway_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => new CometClientOptions { Gateways = [] }.Validate());
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
        var options = new CometClientOptions { Gateways = [gateway] };

        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains("30000", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1:30000")]
    [InlineData("localhost:1")]
    [InlineData("[::1]:65535")]
    [InlineData(" silo-1.example:30000 ")]
    public void Well_formed_gateways_are_accepted(string gateway) => new CometClientOptions { Gateways = [gateway] }.Validate();

    [Fact]
    public async Task Gateways_become_ip_endpoints_in_order_without_repeats_host_names_resolved()
    {
        var endPoints = await GatewayAddress.ResolveAsync(["127.0.0.1:30001", "[::1]:30002", "127.0.0.1:30001", "localhost:30003"], CancellationToken.None);

        Assert.Equal(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 30001), endPoints[0]);
        Assert.Equal(new System.Net.IPEndPoint(System.Net.IPAddress.IPv6Loopback, 30002), endPoints[1]);
        Assert.Single(endPoints, e => e.Port == 30001);
        Assert.Contains(endPoints, e => e.Port == 30003 && System.Net.IPAddress.IsLoopback(e.Address));
    }

    public static TheoryData<string, Action<CometClientOptions>> OutOfRange => new()
    {
        { "ConnectionsPerSilo", o => o.ConnectionsPerSilo = 0 },
        { "ConnectionsPerSilo", o => o.ConnectionsPerSilo = 3 },
        { "RequestTimeout", o => o.RequestTimeout = TimeSpan.Zero },
        { "RequestTimeout", o => o.RequestTimeout = Timeout.InfiniteTimeSpan },
        { "RequestTimeout", o => o.RequestTimeout = TimeSpan.FromDays(2) },
        { "ConnectTimeout", o => o.ConnectTimeout = TimeSpan.FromSeconds(-1) },
        { "ViewRefreshPeriod", o => o.ViewRefreshPeriod = TimeSpan.Zero },
        { "ClusterId", o => o.ClusterId = "" },
        { "ServiceId", o => o.ServiceId = " " },
        { "ApiKey", o => o.ApiKey = "" },
        { "ApiKey", o => o.ApiKey = new string('k', (8 * 1024) + 1) },
        { "DefaultNamespace", o => o.DefaultNamespace = "Not A Namespace" },
        { "MaxValueBytes", o => o.Limits.MaxValueBytes = 0 },
    };

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public void Each_out_of_range_setting_is_refused_by_name(string name, Action<CometClientOptions> spoil)
    {
        ArgumentNullException.ThrowIfNull(spoil);
        var options = new CometClientOptions();
        spoil(options);

        var error = Assert.ThrowsAny<ArgumentException>(options.Validate);
        Assert.Equal(name, error.ParamName);
    }

    [Fact]
    public void Infinite_connect_timeout_and_refresh_are_allowed()
    {
        var options = new CometClientOptions { ConnectTimeout = Timeout.InfiniteTimeSpan, ViewRefreshPeriod = Timeout.InfiniteTimeSpan };

        options.Validate();
    }

    [Fact]
    public async Task Connect_with_invalid_options_fails_before_any_network()
    {
        var options = new CometClientOptions { Gateways = [ClosedPort.Gateway()], ConnectionsPerSilo = 5 };

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => CometClient.ConnectAsync(options));
    }

    [Fact]
    public void Wrapping_no_cluster_client_is_refused()
    {
        var error = Assert.Throws<ArgumentNullException>(() => CometClient.Create(null!, null));
        Assert.Equal("clusterClient", error.ParamName);
    }

    [Fact]
    public async Task Tls_is_refused_until_the_orleans_grid_supports_it()
    {
        var options = new CometClientOptions { Gateways = [ClosedPort.Gateway()], Tls = new System.Net.Security.SslClientAuthenticationOptions() };

        var error = await Assert.ThrowsAsync<NotSupportedException>(() => CometClient.ConnectAsync(options));
        Assert.Contains("Tls", error.Message, StringComparison.Ordinal);
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

    [Fact]
    public async Task A_host_name_that_does_not_resolve_is_unavailable_naming_it()
    {
        var error = await Assert.ThrowsAsync<CometException>(() => CometClient.ConnectAsync(new CometClientOptions { Gateways = ["no-such-host.invalid:30000"] }));

        Assert.Equal(CometErrorCode.Unavailable, error.Code);
        Assert.Contains("no-such-host.invalid", error.Message, StringComparison.Ordinal);
    }
}
