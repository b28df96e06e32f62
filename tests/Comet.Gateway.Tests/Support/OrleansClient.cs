using System.Net;
using System.Security.Cryptography.X509Certificates;
using Comet.Grains;
using Comet.Silo;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Connections.Security;
using Orleans.Hosting;

namespace Comet.Gateway.Tests.Support;

/// <summary>
/// A plain Orleans cluster client (what the SDK wraps) on one silo's gateway: static clustering, the silo's cluster
/// and service ids, and TLS with <paramref name="certificate"/> when one is given.
/// </summary>
public sealed class OrleansClient : IAsyncDisposable
{
    private readonly IHost _host;

    private OrleansClient(IHost host) => _host = host;

    public IClusterClient Client => _host.Services.GetRequiredService<IClusterClient>();

    public ICoordinatorGrain Coordinator => Client.GetGrain<ICoordinatorGrain>(0);

    /// <summary>Builds the client (not started); <paramref name="transport"/> adds TLS (see <see cref="Tls"/>), none: plain TCP.</summary>
    public static OrleansClient Create(CometSilo silo, Action<IClientBuilder>? transport = null)
    {
        ArgumentNullException.ThrowIfNull(silo);
        return Create(new IPEndPoint(IPAddress.Parse(silo.Settings.Host), silo.Settings.GatewayPort), silo.Settings.ClusterId, silo.Settings.ServiceId, transport);
    }

    /// <summary>A client of the gateway at <paramref name="gateway"/>, of cluster <paramref name="clusterId"/>.</summary>
    public static OrleansClient Create(IPEndPoint gateway, string clusterId, string serviceId, Action<IClientBuilder>? transport = null)
    {
        var host = new HostBuilder()
            .UseOrleansClient(client =>
            {
                client.UseStaticClustering(gateway);
                client.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = clusterId;
                    o.ServiceId = serviceId;
                });
                client.Configure<ConnectionOptions>(o => o.OpenConnectionTimeout = TimeSpan.FromSeconds(3));
                client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(15));
                transport?.Invoke(client);
            })
            .Build();
        return new OrleansClient(host);
    }

    /// <summary>TLS that presents <paramref name="certificate"/> and accepts only a gateway presenting <paramref name="trusted"/>.</summary>
    public static Action<IClientBuilder> Tls(X509Certificate2 certificate, X509Certificate2 trusted)
    {
        var expected = trusted.GetCertHashString();
        return client => client.UseTls(certificate, tls =>
        {
            tls.HandshakeTimeout = TimeSpan.FromSeconds(3);
            tls.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
            tls.RemoteCertificateValidation = (remote, _, _) =>
                remote is not null && string.Equals(remote.GetCertHashString(), expected, StringComparison.OrdinalIgnoreCase);
        });
    }

    /// <summary>TLS with no certificate of its own that accepts any gateway.</summary>
    public static Action<IClientBuilder> TlsWithoutCertificate => client => client.UseTls(tls =>
    {
        tls.HandshakeTimeout = TimeSpan.FromSeconds(3);
        tls.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        tls.AllowAnyRemoteCertificate();
    });

    /// <summary>Connects to the gateway (throws when the gateway refuses or cannot be reached).</summary>
    public async Task<OrleansClient> StartAsync(CancellationToken ct = default)
    {
        await _host.StartAsync(ct);
        return this;
    }

    /// <summary>Creates and connects a client.</summary>
    public static Task<OrleansClient> ConnectAsync(CometSilo silo, Action<IClientBuilder>? transport = null) => Create(silo, transport).StartAsync();

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _host.StopAsync(stop.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // A client that never connected has nothing to stop.
        }
        _host.Dispose();
    }
}
