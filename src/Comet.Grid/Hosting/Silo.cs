using Comet.Abstractions.Errors;
using System.Net;
using Comet.Abstractions.Wire;
using Comet.Grid.Gateway;
using Comet.Grid.Grains;
using Comet.Grid.Membership;
using Comet.Grid.Messaging;
using Comet.Grid.Replication;
using Comet.Grid.Security;
using Comet.Grid.Transport;
using Comet.Sandbox;
using Comet.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Comet.Grid.Hosting;

/// <summary>
/// One silo: membership agent, catalog of key grains, coordinator, the silo-to-silo and client
/// gateway listeners, and the HTTP endpoint (REST gateway; the admin API plugs in through
/// <see cref="ConfigureHttp"/>). Started and stopped by the silo executable's hosted service,
/// and directly by <see cref="TestCluster"/>.
/// </summary>
public sealed class Silo : IAsyncDisposable
{
    private readonly SiloOptions _options;
    private readonly IStorageProvider _storage;
    private readonly bool _ownsStorage;
    private readonly ILoggerFactory _loggers;
    private readonly TimeProvider _time;
    private readonly AsoSandboxOptions _sandboxOptions;
    private AsoRuntime? _sandbox;
    private MembershipService? _membership;
    private Catalog? _catalog;
    private Repair.AntiEntropy? _antiEntropy;
    private FrameConnector? _connector;
    private SiloDirectory? _directory;
    private FrameListener? _siloListener;
    private FrameListener? _gatewayListener;
    private WebApplication? _http;
    private HintedHandoff? _hints;
    private FailureDetector? _failureDetector;
    private ReplicaClient? _replicaClient;
    private int _state; // 0 new, 1 started, 2 stopped

    public Silo(SiloOptions options, IStorageProvider storage, bool ownsStorage = false, ILoggerFactory? loggers = null,
        AsoSandboxOptions? sandbox = null, TimeProvider? time = null, TransportFaults? faults = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _storage = storage;
        _ownsStorage = ownsStorage;
        _loggers = loggers ?? NullLoggerFactory.Instance;
        _sandboxOptions = sandbox ?? new AsoSandboxOptions();
        _sandboxOptions.Validate();
        _time = time ?? TimeProvider.System;
        Faults = faults ?? new TransportFaults();
    }

    public SiloOptions Options => _options;

    public string Id => _options.SiloId;

    /// <summary>Fault injection on this silo's real sockets (tests: network partitions).</summary>
    public TransportFaults Faults { get; }

    public int SiloPort => _siloListener?.Port ?? throw NotStarted();

    public int GatewayPort => _gatewayListener?.Port ?? throw NotStarted();

    /// <summary>The bound HTTP port, or -1 when HTTP is disabled.</summary>
    public int HttpPort { get; private set; } = -1;

    public string HttpAddress => $"{(Security?.Certificate is null ? "http" : "https")}://{_options.Host}:{HttpPort}";

    /// <summary>API keys, cluster secret, TLS, admission and rate limits of this silo.</summary>
    public SiloSecurity Security { get; private set; } = null!;

    public MembershipView View => _membership?.View ?? throw NotStarted();

    public MembershipService Membership => _membership ?? throw NotStarted();

    public Catalog Catalog => _catalog ?? throw NotStarted();

    /// <summary>This silo's periodic Merkle repair (tests run rounds on demand).</summary>
    public Repair.AntiEntropy AntiEntropy => _antiEntropy ?? throw NotStarted();

    public ClientGateway Gateway { get; private set; } = null!;

    public Coordinator Coordinator { get; private set; } = null!;

    /// <summary>The hints this silo holds for unreachable replicas.</summary>
    public HintedHandoff Hints => _hints ?? throw NotStarted();

    public FailureDetector FailureDetector => _failureDetector ?? throw NotStarted();

    /// <summary>Extra HTTP endpoints (the admin API) mapped when the silo starts.</summary>
    public Action<WebApplication, Silo>? ConfigureHttp { get; set; }

    public DateTimeOffset StartedAt { get; private set; }

    public async Task StartAsync(CancellationToken ct = default)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0) throw new InvalidOperationException("A silo starts once.");
        var logger = _loggers.CreateLogger("Comet.Silo." + Id);
        StartedAt = _time.GetUtcNow();
        _sandbox = new AsoRuntime(_sandboxOptions);
        var replicas = await _storage.OpenTableAsync(ReplicaStore.TableName, ct).ConfigureAwait(false);
        var timers = await _storage.OpenTableAsync(TimerRegistry.TableName, ct).ConfigureAwait(false);
        var membershipTable = new MembershipTable(await _storage.OpenTableAsync(MembershipTable.TableName, ct).ConfigureAwait(false));
        Security = await SiloSecurity.StartAsync(_options, _storage, _time, _loggers, ct).ConfigureAwait(false);

        var hello = new Hello(NodeRole.Silo, Id);
        var connectionOptions = new FrameConnectionOptions { Faults = Faults };
        _connector = new FrameConnector(new FrameConnectorOptions { Connection = connectionOptions, Tls = Security.ClientTls }, Id, Security.DialHello, null, Security.ValidateDialledSiloAsync);

        // The membership view is needed by everything below, but the row can only be written once
        // the listeners have their ports; until then the view holds this silo alone.
        Func<MembershipView> view = () => _membership!.View;
        _directory = new SiloDirectory(_connector, view);
        var neighbours = new GridNeighbours(_options, view, _directory, _time);
        var runtime = new GrainRuntime(_options, _sandbox, new ReplicaStore(replicas, Id), new TimerRegistry(timers, Id), neighbours, _time, logger);
        _catalog = new Catalog(runtime, hash => view().Ring.PartitionOf(hash));
        neighbours.Catalog = _catalog;
        var replicaClient = new ReplicaClient(Id, _catalog, _directory);
        var coordinator = new Coordinator(_options, view, replicaClient, _catalog, _sandboxOptions, _time);
        Gateway = new ClientGateway(Id, coordinator, _directory, view, _options.Limits);
        _antiEntropy = new Repair.AntiEntropy(_options, view, runtime.Store, _catalog, _directory, replicaClient, logger);
        var handler = new SiloRequestHandler(Gateway, _catalog, _antiEntropy, _options.Limits, logger);
        _hints = new HintedHandoff(_options, await _storage.OpenTableAsync(HintedHandoff.TableName, ct).ConfigureAwait(false), view, replicaClient, _time, logger);
        replicaClient.Hints = _hints;
        handler.Hints = _hints;
        _replicaClient = replicaClient;
        Coordinator = coordinator;

        var address = IPAddress.Parse(_options.Host);
        _siloListener = new FrameListener(new FrameListenerOptions { EndPoint = new IPEndPoint(address, _options.SiloPort), Connection = connectionOptions, Tls = Security.ServerTls, HelloFactory = Security.AcceptHello },
            hello, handler, _loggers.CreateLogger<FrameListener>(), Security.ValidateSiloPortPeerAsync);
        _gatewayListener = new FrameListener(new FrameListenerOptions { EndPoint = new IPEndPoint(address, _options.GatewayPort), Connection = new FrameConnectionOptions { Faults = Faults }, Tls = Security.ServerTls },
            Security.GatewayHello(), Security.GuardGateway(handler), _loggers.CreateLogger<FrameListener>(), Security.ValidateGatewayPeerAsync);
        _siloListener.Start();
        _gatewayListener.Start();

        if (_options.HttpPort >= 0) await StartHttpAsync(ct).ConfigureAwait(false);

        var self = new MembershipEntry(Id, _options.Host, _siloListener.Port, _gatewayListener.Port, HttpPort, SiloStatus.Joining,
            StartedAt.ToUnixTimeMilliseconds(), StartedAt.ToUnixTimeMilliseconds(), []);
        _membership = new MembershipService(membershipTable, _options, self, _time, logger);
        _membership.CanRejoin = CanReachAnyAsync;
        _membership.StatusWritten += Gossip;
        handler.Membership = _membership;
        await _membership.StartAsync(ct).ConfigureAwait(false);
        _failureDetector = new FailureDetector(_options, _membership, replicaClient.PingAsync, _time, logger);
        _failureDetector.Start();
        _catalog.Start();
        await _catalog.ReactivateTimersAsync(ct).ConfigureAwait(false);
        _antiEntropy.Start();
        _hints.Start();
        Gossip();
    }

    /// <summary>Tells every other live silo to re-read the membership table (best effort; the period catches up).</summary>
    private void Gossip()
    {
        if (_membership is null || _replicaClient is null || Volatile.Read(ref _state) != 1) return;
        var client = _replicaClient;
        foreach (var silo in _membership.View.Live)
        {
            if (silo == Id) continue;
            _ = Task.Run(async () =>
            {
                try
                {
                    using var timeout = new CancellationTokenSource(_options.ProbeTimeout);
                    await client.NotifyMembershipChangedAsync(silo, timeout.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is CometException or OperationCanceledException or ObjectDisposedException)
                {
                    // It re-reads the table on its own period anyway.
                }
            });
        }
    }

    /// <summary>A silo declared dead rejoins only once it can reach one of the others again.</summary>
    private async ValueTask<bool> CanReachAnyAsync(IReadOnlyList<MembershipEntry> others, CancellationToken ct)
    {
        foreach (var other in others)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(_options.ProbeTimeout);
                var connection = await _connector!.GetConnectionAsync(new IPEndPoint(IPAddress.Parse(other.Host), other.SiloPort), timeout.Token).ConfigureAwait(false);
                using var answer = await connection.RequestAsync((ushort)SiloOpcode.Ping, ReadOnlyMemory<byte>.Empty, timeout.Token).ConfigureAwait(false);
                return true;
            }
            catch (Exception ex) when (ex is CometException or OperationCanceledException)
            {
                // Try the next one.
            }
        }
        return false;
    }

    private async Task StartHttpAsync(CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(_loggers);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Parse(_options.Host), _options.HttpPort, listen =>
            {
                if (Security.Certificate is { } certificate) listen.UseHttps(certificate);
            });
            k.Limits.MaxRequestBodySize = _options.Limits.MaxValueBytes + 64 * 1024;
        });
        var app = builder.Build();
        app.MapRestGateway(this);
        ConfigureHttp?.Invoke(app, this);
        await app.StartAsync(ct).ConfigureAwait(false);
        _http = app;
        var address = app.Urls.First();
        HttpPort = new Uri(address).Port;
    }

    /// <summary>
    /// Clean shutdown: leave the membership (others re-route at once), stop accepting, let
    /// in-flight requests finish, write every dirty activation.
    /// </summary>
    public async Task StopAsync(CancellationToken ct = default)
    {
        if (Interlocked.Exchange(ref _state, 2) != 1) return;
        if (_failureDetector is not null) await _failureDetector.DisposeAsync().ConfigureAwait(false);
        if (_membership is not null) await _membership.LeaveAsync(ct).ConfigureAwait(false);
        using var grace = CancellationTokenSource.CreateLinkedTokenSource(ct);
        grace.CancelAfter(_options.ShutdownGrace);
        if (_http is not null) await _http.StopAsync(grace.Token).ConfigureAwait(false);
        if (_gatewayListener is not null) await _gatewayListener.StopAsync(grace.Token).ConfigureAwait(false);
        if (_siloListener is not null) await _siloListener.StopAsync(grace.Token).ConfigureAwait(false);
        if (_antiEntropy is not null) await _antiEntropy.DisposeAsync().ConfigureAwait(false);
        if (_catalog is not null) await _catalog.StopAsync().ConfigureAwait(false);
        await DisposeResourcesAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Simulates a crash in-process: sockets close, timers stop, nothing more is written, and the
    /// membership row is left as it was (others must notice the silence).
    /// </summary>
    public async Task KillAsync()
    {
        if (Interlocked.Exchange(ref _state, 2) != 1) return;
        _catalog?.Abandon();
        if (_failureDetector is not null) await _failureDetector.DisposeAsync().ConfigureAwait(false);
        if (_hints is not null) await _hints.DisposeAsync().ConfigureAwait(false);
        if (_membership is not null) await _membership.DisposeAsync().ConfigureAwait(false);
        if (_gatewayListener is not null) await _gatewayListener.DisposeAsync().ConfigureAwait(false);
        if (_siloListener is not null) await _siloListener.DisposeAsync().ConfigureAwait(false);
        if (_http is not null) await _http.StopAsync(new CancellationToken(true)).ConfigureAwait(false);
        await DisposeResourcesAsync().ConfigureAwait(false);
    }

    private async Task DisposeResourcesAsync()
    {
        if (_antiEntropy is not null) await _antiEntropy.DisposeAsync().ConfigureAwait(false);
        if (_failureDetector is not null) await _failureDetector.DisposeAsync().ConfigureAwait(false);
        if (_hints is not null) await _hints.DisposeAsync().ConfigureAwait(false);
        if (_http is not null) await _http.DisposeAsync().ConfigureAwait(false);
        if (_membership is not null) await _membership.DisposeAsync().ConfigureAwait(false);
        if (_gatewayListener is not null) await _gatewayListener.DisposeAsync().ConfigureAwait(false);
        if (_siloListener is not null) await _siloListener.DisposeAsync().ConfigureAwait(false);
        if (_directory is not null) await _directory.DisposeAsync().ConfigureAwait(false);
        if (Security is not null) await Security.DisposeAsync().ConfigureAwait(false);
        _sandbox?.Dispose();
        if (_ownsStorage) await _storage.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private static InvalidOperationException NotStarted() => new("The silo has not started.");
}
