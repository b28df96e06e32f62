using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Comet.Abstractions.Errors;
using Comet.Client;
using Comet.Grid.Hosting;

namespace Comet.Security.Tests;

/// <summary>Optional TLS: one self-signed certificate on every silo covers REST (HTTPS), the gateway and silo-to-silo.</summary>
public sealed class TlsTests : IAsyncLifetime
{
    private X509Certificate2 _certificate = null!;
    private TestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=comet-test-cluster", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        _certificate = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pfx), null);
        _cluster = await TestCluster.StartAsync(new TestClusterOptions
        {
            InitialSilosCount = 3,
            ConfigureSilo = o => o.Security.Certificate = _certificate,
        });
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _certificate.Dispose();
    }

    private bool TrustOurs(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors) =>
        certificate is not null && certificate.GetCertHashString() == _certificate.Thumbprint;

    [Fact]
    public async Task Rest_is_served_over_https_and_silos_replicate_over_tls()
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, SslOptions = { RemoteCertificateValidationCallback = TrustOurs } });
        var silo = _cluster.Silos[1];
        Assert.StartsWith("https://", silo.HttpAddress, StringComparison.Ordinal);
        using var put = await http.PutAsync($"{silo.HttpAddress}/v1/default/keys/tls-rest", new StringContent("secret stuff"));
        var body = await put.Content.ReadAsStringAsync();
        Assert.True(put.IsSuccessStatusCode, body);
        using var json = JsonDocument.Parse(body);
        Assert.True(json.RootElement.GetProperty("replicas").GetInt32() >= 2, body); // W = 2: another silo, over TLS
        Assert.Equal("secret stuff", await http.GetStringAsync($"{_cluster.Silos[2].HttpAddress}/v1/default/keys/tls-rest"));
    }

    [Fact]
    public async Task The_client_sdk_talks_tls_to_the_gateways()
    {
        await using var client = await CometClient.ConnectAsync(new CometClientOptions
        {
            Gateways = [$"127.0.0.1:{_cluster.Primary.GatewayPort}"],
            Tls = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = TrustOurs },
        });
        await client.PutAsync("tls-binary", "over tls");
        Assert.Equal("over tls", (await client.GetAsync("tls-binary")).AsString());
    }

    [Fact]
    public async Task A_plain_tcp_client_or_one_that_distrusts_the_certificate_cannot_connect()
    {
        var gateways = new[] { $"127.0.0.1:{_cluster.Primary.GatewayPort}" };
        var plain = await Assert.ThrowsAsync<CometException>(() => CometClient.ConnectAsync(new CometClientOptions { Gateways = gateways, ConnectTimeout = TimeSpan.FromSeconds(3) }));
        Assert.NotEqual(CometErrorCode.Internal, plain.Code);
        var distrusting = await Assert.ThrowsAsync<CometException>(() => CometClient.ConnectAsync(new CometClientOptions
        {
            Gateways = gateways,
            ConnectTimeout = TimeSpan.FromSeconds(3),
            Tls = new SslClientAuthenticationOptions(),
        }));
        Assert.Equal(CometErrorCode.Unauthorized, distrusting.Code);
    }
}
