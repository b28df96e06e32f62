using System.Net;
using Comet.Abstractions.Errors;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;

namespace Comet.Client.Connection;

/// <summary>
/// The Orleans cluster client a <see cref="CometClient"/> sends through: one it built and started on a small Generic
/// Host of its own (and stops when disposed), or one the application gave it (a silo's, a test's), which it only uses.
/// Orleans does what the hand-written SDK used to: it connects to the gateways, spreads requests over them, drops a
/// gateway that fails and tries it again later, and matches answers to requests.
/// </summary>
internal sealed class ClusterConnection : IAsyncDisposable
{
    /// <summary>Pause between two background connection attempts (<see cref="CometClientOptions.AbortOnConnectFail"/> false).</summary>
    private static readonly TimeSpan BackgroundRetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>How long disposing waits for the Orleans client to close its connections.</summary>
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    private readonly IHost? _host;
    private readonly string _gateways;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _firstAttempt = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _connecting = Task.CompletedTask;
    private Exception? _lastFailure;
    private volatile bool _connected;
    private int _disposed;

    private ClusterConnection(IClusterClient client, IHost? host, string gateways, bool connected)
    {
        Client = client;
        _host = host;
        _gateways = gateways;
        _connected = connected;
    }

    public IClusterClient Client { get; }

    /// <summary>A client the application gave: it is connected (or connects) on the application's terms.</summary>
    public static ClusterConnection Wrap(IClusterClient client) => new(client, host: null, "the application's cluster client", connected: true);

    /// <summary>
    /// Builds an Orleans client on static clustering over the gateways and starts it. With
    /// <see cref="CometClientOptions.AbortOnConnectFail"/> it returns once connected, or throws
    /// <see cref="CometErrorCode.Unavailable"/> naming the gateways; without, it returns at once and connects in the background.
    /// </summary>
    public static async Task<ClusterConnection> ConnectAsync(CometClientOptions options, CancellationToken cancellationToken)
    {
        var endPoints = await GatewayAddress.ResolveAsync(options.Gateways, cancellationToken).ConfigureAwait(false);
        var gateways = string.Join(", ", options.Gateways);
        ClusterConnection? connection = null;
        var retries = new RetryFilter(() => connection!);
        var host = new HostBuilder()
            .ConfigureServices(services => services.AddSingleton<IHostLifetime, EmbeddedLifetime>())
            .UseOrleansClient(client => Configure(client, options, endPoints, retries))
            .Build();
        connection = new ClusterConnection(host.Services.GetRequiredService<IClusterClient>(), host, gateways, connected: false);
        if (!options.AbortOnConnectFail)
        {
            retries.KeepTrying = true;
            connection._connecting = connection.ConnectInBackgroundAsync();
            return connection;
        }
        try
        {
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
            connection._connected = true;
            return connection;
        }
        catch (Exception ex)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested) throw;
            throw connection.NoGateway(ex);
        }
    }

    private static void Configure(IClientBuilder client, CometClientOptions options, IPEndPoint[] endPoints, RetryFilter retries)
    {
        client.UseStaticClustering(endPoints);
        client.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = options.ClusterId;
            o.ServiceId = options.ServiceId;
        });
        client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = options.RequestTimeout);
        client.Configure<ConnectionOptions>(o =>
        {
            o.OpenConnectionTimeout = options.ConnectTimeout;
            o.ConnectionsPerEndpoint = options.ConnectionsPerSilo;
        });
        client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = options.ViewRefreshPeriod);
        client.UseConnectionRetryFilter(retries);
        ConfigureTransport(client, options);
    }

    /// <summary>
    /// The seam for TLS to the gateways: Microsoft.Orleans.Connections.Security's <c>client.UseTls(...)</c>, built from
    /// <see cref="CometClientOptions.Tls"/> (client certificate, remote certificate validation), goes here.
    /// <see cref="CometClient.ConnectAsync"/> refuses <see cref="CometClientOptions.Tls"/> until it does.
    /// </summary>
    private static void ConfigureTransport(IClientBuilder client, CometClientOptions options)
    {
        _ = client;
        if (options.Tls is not null)
            throw new NotSupportedException("TLS to the gateways is not available on the Orleans grid yet; leave CometClientOptions.Tls null.");
    }

    /// <summary>
    /// Completes at once when connected. Before the first connection attempt has ended it waits for it; after a failed
    /// attempt it throws Unavailable at once (the background attempts go on) rather than hold requests up.
    /// </summary>
    public ValueTask WaitConnectedAsync(CancellationToken cancellationToken) =>
        _connected ? ValueTask.CompletedTask : WaitForAttemptAsync(cancellationToken);

    private async ValueTask WaitForAttemptAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, typeof(CometClient));
        await _firstAttempt.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (!_connected) throw NoGateway(Volatile.Read(ref _lastFailure));
    }

    private async Task ConnectInBackgroundAsync()
    {
        await Task.Yield();
        try
        {
            await _host!.StartAsync(_stop.Token).ConfigureAwait(false);
            _connected = true;
        }
        catch (Exception ex)
        {
            // Only disposal ends the retries; a request that waited sees Unavailable.
            Volatile.Write(ref _lastFailure, ex);
        }
        _firstAttempt.TrySetResult();
    }

    /// <summary>An attempt failed: requests fail with Unavailable (saying why) until an attempt succeeds.</summary>
    private void AttemptFailed(Exception failure)
    {
        Volatile.Write(ref _lastFailure, failure);
        _firstAttempt.TrySetResult();
    }

    private CometException NoGateway(Exception? failure) => new(CometErrorCode.Unavailable,
        $"No gateway of the cluster answered ({_gateways}){(failure is null ? "" : ": " + failure.Message)}. " +
        "Check that the silos are running, that these are their gateway ports, and that ClusterId and ServiceId match theirs.",
        failure);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            // An attempt stuck in a gateway's handshake may not see the cancellation before its own timeout.
            await _connecting.WaitAsync(StopTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        if (_host is not null)
        {
            using var timeout = new CancellationTokenSource(StopTimeout);
            try
            {
                await _host.StopAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or Orleans.Runtime.OrleansException)
            {
                // The cluster is gone or slow to say goodbye: the connections close with the host anyway.
            }
            _host.Dispose();
        }
        _stop.Dispose();
    }

    /// <summary>
    /// Decides whether Orleans tries to connect again after a failed attempt: never when
    /// <see cref="CometClientOptions.AbortOnConnectFail"/> (the caller hears at once), else until the client is disposed.
    /// </summary>
    private sealed class RetryFilter(Func<ClusterConnection> connection) : IClientConnectionRetryFilter
    {
        public bool KeepTrying { get; set; }

        public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
        {
            if (!KeepTrying || cancellationToken.IsCancellationRequested) return false;
            connection().AttemptFailed(exception);
            try
            {
                await Task.Delay(BackgroundRetryDelay, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
            return true;
        }
    }

    /// <summary>The host lives inside the application: it does not listen for Ctrl+C or SIGTERM as a console host would.</summary>
    private sealed class EmbeddedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
