using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Comet.Abstractions.Protocol;
using Comet.Gateway.Tests.Support;
using Comet.Grains;
using Comet.Silo;
using Comet.Tests.Shared;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Comet.Gateway.Tests;

/// <summary>Two silos with the cluster certificate (<c>Comet:Silo:Security:CertificatePath</c>): HTTPS, and TLS between silos and to the gateways.</summary>
public sealed class TlsClusterFixture : ClusterFixture
{
    public TestCertificate ClusterCertificate { get; } = TestCertificate.Create("comet-test-cluster");

    /// <summary>A certificate of the same shape that the cluster has never seen.</summary>
    public TestCertificate StrangerCertificate { get; } = TestCertificate.Create("comet-stranger");

    protected override int Silos => 2;

    protected override IDictionary<string, string?> Configuration => new Dictionary<string, string?>
    {
        ["Comet:Silo:Security:CertificatePath"] = ClusterCertificate.Path,
        ["Comet:Silo:Security:CertificatePassword"] = TestCertificate.Password,
    };

    protected override RemoteCertificateValidationCallback ServerCertificateCheck => TrustsTheCluster;

    /// <summary>Accepts exactly the cluster's certificate (it is self-signed, so no chain would).</summary>
    public bool TrustsTheCluster(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors) =>
        certificate is not null && certificate.GetCertHashString() == ClusterCertificate.Certificate.Thumbprint;

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        ClusterCertificate.Dispose();
        StrangerCertificate.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class TlsCollection : ICollectionFixture<TlsClusterFixture>
{
    public const string Name = "tls";
}

/// <summary>
/// TLS with the cluster certificate replaces the hand-written grid's cluster secret: members present it to each other,
/// and whoever cannot (a client or a silo without it) is refused.
/// </summary>
[Collection(TlsCollection.Name)]
public sealed class TlsTests(TlsClusterFixture fixture, Xunit.Abstractions.ITestOutputHelper log)
{
    private static PutCommand Put(string key, string value) =>
        new("default", key, ObjectKind.Value, Encoding.UTF8.GetBytes(value), null, null, null, default, null);

    [Fact]
    public async Task Rest_is_served_over_https_and_the_silos_replicate_to_each_other_over_tls()
    {
        Assert.All(fixture.Cluster.Silos, s => Assert.StartsWith("https://", s.HttpAddress, StringComparison.Ordinal));
        var key = ClusterFixture.NewKey("tls-rest");
        using var put = await fixture.HttpOf(1).PutAsync("default", key, "secret stuff", query: "w=2");
        await RestCalls.ExpectAsync(put, HttpStatusCode.Created);
        using var json = JsonDocument.Parse(await put.Content.ReadAsStringAsync());
        Assert.Equal(2, json.RootElement.GetProperty("replicas").GetInt32()); // the other silo acknowledged, over TLS
        Assert.Equal("secret stuff", await fixture.HttpOf(0).ReadAsync("default", key));
    }

    [Fact]
    public async Task Https_clients_that_do_not_trust_the_certificate_and_plain_http_get_no_answer()
    {
        using var distrusting = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = fixture.Cluster.Http(0) };
        await Assert.ThrowsAsync<HttpRequestException>(() => distrusting.GetAsync(RestCalls.KeyPath("default", "k")));
        using var plain = new HttpClient(new SocketsHttpHandler { UseProxy = false })
        {
            BaseAddress = new UriBuilder(fixture.Cluster.Http(0)) { Scheme = "http" }.Uri,
            Timeout = TimeSpan.FromSeconds(10),
        };
        var answer = await Record.ExceptionAsync(async () =>
        {
            using var response = await plain.GetAsync(RestCalls.KeyPath("default", "k"));
            Assert.NotEqual(HttpStatusCode.NotFound, response.StatusCode);
            Assert.False(response.IsSuccessStatusCode);
        });
        Assert.True(answer is null or HttpRequestException or TaskCanceledException, answer?.ToString());
    }

    [Fact]
    public async Task A_client_presenting_the_cluster_certificate_is_served_over_tls()
    {
        var certificate = fixture.ClusterCertificate.Certificate;
        await using var client = await OrleansClient.ConnectAsync(fixture.Cluster.Silos[1], OrleansClient.Tls(certificate, certificate));
        var key = ClusterFixture.NewKey("tls-sdk");
        Assert.True((await client.Coordinator.PutAsync(Put(key, "over tls"))).Created);
        var got = await client.Coordinator.GetAsync(new GetCommand("default", key, null, default, null));
        Assert.Equal("over tls", Encoding.UTF8.GetString(Assert.Single(got.Items).Data.Span));
        Assert.Equal("over tls", await fixture.Http.ReadAsync("default", key));
    }

    [Fact]
    public async Task Stranger_clients_without_the_cluster_certificate_cannot_connect_or_store_anything()
    {
        var strangers = new Dictionary<string, Action<Orleans.Hosting.IClientBuilder>?>
        {
            ["plain tcp"] = null,
            ["tls without a certificate"] = OrleansClient.TlsWithoutCertificate,
            ["tls with its own certificate"] = OrleansClient.Tls(fixture.StrangerCertificate.Certificate, fixture.ClusterCertificate.Certificate),
        };
        // The three try at once: each waits out its own refusal.
        var attempts = strangers.Select(async stranger =>
        {
            var key = ClusterFixture.NewKey("stranger");
            await using var client = OrleansClient.Create(fixture.Cluster.Silos[0], stranger.Value);
            var refused = await Record.ExceptionAsync(async () =>
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await client.StartAsync(timeout.Token);
                await client.Coordinator.PutAsync(Put(key, "planted")).WaitAsync(timeout.Token);
            });
            return (Stranger: stranger.Key, Refused: refused, Key: key);
        }).ToList();
        foreach (var (stranger, refused, key) in await Task.WhenAll(attempts))
        {
            Assert.True(refused is not null, $"a client with {stranger} was served");
            Assert.Null(await fixture.Http.ReadAsync("default", key));
        }
    }

    [Fact]
    public async Task A_stranger_silo_with_another_certificate_is_never_a_member_and_the_cluster_keeps_serving()
    {
        var member = fixture.Cluster.Silos[0];
        var membership = member.Services.GetRequiredService<Orleans.Runtime.IClusterMembershipService>();
        var siloPort = SiloCluster.FreePort();
        // Its own process: Orleans ends a silo's process (Environment.FailFast) when the cluster declares it dead.
        var dll = Path.Combine(AppContext.BaseDirectory, "comet-silo.dll");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            dll, "--silo-id", "stranger", "--host", "127.0.0.1", "--silo-port", siloPort.ToString(CultureInfo.InvariantCulture),
            "--gateway-port", SiloCluster.FreePort().ToString(CultureInfo.InvariantCulture), "--http-port", "-1",
            "--storage", "sqlite", "--data", fixture.Cluster.DataPath,
            "--tls-certificate", fixture.StrangerCertificate.Path, "--tls-certificate-password", TestCertificate.Password,
            "--Comet:Silo:ClusterId", member.Settings.ClusterId,
        }) start.ArgumentList.Add(arg);
        var output = new StringBuilder();
        using var stranger = new Process { StartInfo = start };
        stranger.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        stranger.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        Assert.True(stranger.Start());
        stranger.BeginOutputReadLine();
        stranger.BeginErrorReadLine();
        try
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(45);
            while (!stranger.HasExited && DateTime.UtcNow < deadline)
            {
                var entry = membership.CurrentSnapshot.Members.Values.FirstOrDefault(m => m.SiloAddress.Endpoint.Port == siloPort);
                Assert.False(entry?.Status == Orleans.Runtime.SiloStatus.Active, "the stranger became an active member:\n" + output);
                await Task.Delay(250);
            }
            Assert.True(stranger.HasExited, "the stranger silo is still running after 45 s; it should have been refused:\n" + output);
            Assert.NotEqual(0, stranger.ExitCode);
            lock (output) log.WriteLine($"the stranger silo exited with {stranger.ExitCode}:\n{output}");
        }
        finally
        {
            if (!stranger.HasExited) stranger.Kill(entireProcessTree: true);
        }

        // The members still serve, between themselves, over TLS.
        var key = ClusterFixture.NewKey("after-stranger");
        using var put = await fixture.HttpOf(1).PutAsync("default", key, "still here", query: "w=2");
        await RestCalls.ExpectAsync(put, HttpStatusCode.Created);
        Assert.Equal("still here", await fixture.Http.ReadAsync("default", key));
    }

    [Fact]
    public void A_silo_given_the_old_cluster_secret_refuses_to_start_and_points_to_the_cluster_certificate()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Comet:Storage:Provider"] = "memory",
            ["Comet:Silo:Security:ClusterSecret"] = "the-old-secret",
        }).Build();
        var error = Assert.Throws<ArgumentException>(() => CometSilo.Create(configuration, s => s.HttpPort = -1, NullLoggerFactory.Instance));
        Assert.Contains("ClusterSecret", error.Message, StringComparison.Ordinal);
        Assert.Contains("CertificatePath", error.Message, StringComparison.Ordinal);
    }
}
