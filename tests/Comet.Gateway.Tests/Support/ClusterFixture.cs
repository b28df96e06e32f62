using System.Net.Security;
using Comet.Gateway.Security;
using Comet.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace Comet.Gateway.Tests.Support;

/// <summary>
/// One configuration of real in-process silos, started once and shared by every test of an xunit collection
/// (tests use their own keys and API keys). Subclasses say how many silos and what configuration differs.
/// </summary>
public abstract class ClusterFixture : IAsyncLifetime
{
    private HttpClient[] _http = [];

    public SiloCluster Cluster { get; private set; } = null!;

    /// <summary>A REST client for silo 0.</summary>
    public HttpClient Http => _http[0];

    protected virtual int Silos => 3;

    /// <summary>Configuration keys on top of SiloCluster's (storage, cluster id).</summary>
    protected virtual IDictionary<string, string?> Configuration => new Dictionary<string, string?>();

    /// <summary>How the test's HTTP client checks the silos' certificate (TLS clusters only).</summary>
    protected virtual RemoteCertificateValidationCallback? ServerCertificateCheck => null;

    public virtual async Task InitializeAsync()
    {
        Cluster = await SiloCluster.StartAsync(Silos, Configuration);
        _http = new HttpClient[Silos];
        for (var i = 0; i < Silos; i++)
        {
            var handler = new SocketsHttpHandler { UseProxy = false };
            if (ServerCertificateCheck is { } check) handler.SslOptions.RemoteCertificateValidationCallback = check;
            _http[i] = new HttpClient(handler) { BaseAddress = Cluster.Http(i), Timeout = TimeSpan.FromSeconds(30) };
        }
    }

    public virtual async Task DisposeAsync()
    {
        foreach (var http in _http) http.Dispose();
        if (Cluster is not null) await Cluster.DisposeAsync();
    }

    /// <summary>A REST client for silo <paramref name="index"/> (owned by the fixture: do not dispose).</summary>
    public HttpClient HttpOf(int index) => _http[index];

    /// <summary>Creates an API key for <paramref name="ns"/> with silo <paramref name="silo"/>'s key store; returns (id, full key text).</summary>
    public async Task<(string Id, string Key)> CreateKeyAsync(string ns, int silo = 0)
    {
        var created = await Cluster.Silos[silo].Services.GetRequiredService<ApiKeyStore>().CreateAsync(ns, "tests", CancellationToken.None);
        return (created.Record.Id, created.Key);
    }

    public Task<bool> RevokeKeyAsync(string ns, string id, int silo = 0) =>
        Cluster.Silos[silo].Services.GetRequiredService<ApiKeyStore>().RevokeAsync(ns, id, CancellationToken.None);

    public static string NewKey(string prefix = "key") => $"{prefix}-{Guid.NewGuid():N}";
}
