using System.Net;
using System.Reflection;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Comet.Admin;
using Comet.Gateway.Rest;
using Comet.Gateway.Security;
using Comet.Grains;
using Comet.Persistence.Sqlite;
using Comet.Sandbox;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Hosting;

namespace Comet.Silo;

/// <summary>
/// One silo: an ASP.NET Core web host with Orleans inside it (<c>UseOrleans</c>), so the REST
/// gateway, the admin API and the Orleans Dashboard share the silo's services. The grid
/// (<see cref="CometSiloBuilderExtensions.AddCometGrid"/>), its storage (SQLite, Azure Table
/// storage or memory), failure detection tuned to declare a dead silo within seconds, and TLS
/// between silos when a certificate is configured.
/// </summary>
public sealed class CometSilo : IAsyncDisposable
{
    /// <summary>Where the Orleans Dashboard is served on the silo's HTTP port.</summary>
    public const string OrleansDashboardPath = "/orleans-dashboard";

    /// <summary>Silos of this process that started and have not stopped: the silo executable ends with its last one.</summary>
    private static int s_running;

    private readonly WebApplication _app;
    private readonly Lock _stopLock = new();
    private Task? _stopping;
    private int _started;
    private int _disposed;

    private CometSilo(WebApplication app, SiloSettings settings, StorageSettings storage)
    {
        _app = app;
        Settings = settings;
        Storage = storage;
    }

    public SiloSettings Settings { get; }

    public StorageSettings Storage { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>The HTTP address of the REST gateway, admin API and dashboards, once started (null when HTTP is off).</summary>
    public string? HttpAddress { get; private set; }

    /// <summary>
    /// Builds a silo from configuration (<c>Comet:Silo</c>, <c>Comet:Storage</c>, <c>Comet:Security</c>);
    /// <paramref name="adjust"/> sets what differs per silo of a local cluster (name, ports).
    /// <paramref name="configureApp"/> maps extra endpoints (the admin API).
    /// </summary>
    public static CometSilo Create(IConfiguration configuration, Action<SiloSettings>? adjust = null, ILoggerFactory? loggers = null,
        Action<WebApplication>? configureApp = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var settings = configuration.GetSection("Comet:Silo").Get<SiloSettings>() ?? new SiloSettings();
        adjust?.Invoke(settings);
        settings.Validate();
        var storage = configuration.GetSection("Comet:Storage").Get<StorageSettings>() ?? new StorageSettings();
        var security = configuration.GetSection("Comet:Silo:Security").Get<SecurityOptions>() ?? new SecurityOptions();
        security.Validate();
        var certificate = security.LoadCertificate();

        // The content root is the application's directory, not the working directory: the host watches its content
        // root for appsettings changes, and the local cluster's SQLite file under ./data woke the watcher on every
        // write (23 % of a silo's CPU on puts, bench/README.md).
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddConfiguration(configuration);
        if (loggers is not null)
        {
            builder.Logging.ClearProviders();
            builder.Services.AddSingleton(loggers);
        }
        var address = IPAddress.Parse(settings.Host);
        var limits = configuration.GetSection("Comet:Silo:Limits").Get<Abstractions.Options.ObjectLimits>() ?? new();
        if (settings.HttpPort >= 0)
        {
            builder.WebHost.ConfigureKestrel(k =>
            {
                k.Listen(address, settings.HttpPort, listen =>
                {
                    if (certificate is not null) listen.UseHttps(certificate);
                });
                k.Limits.MaxRequestBodySize = limits.MaxValueBytes + 64 * 1024;
            });
        }
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.ShutdownGrace);
        builder.Services.Configure<SecurityOptions>(o => Copy(security, o));
        builder.Services.AddSingleton<ApiKeyStore>();
        builder.Services.AddSingleton<GatewaySecurity>();
        builder.Services.AddCometAdmin(configuration);

        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = settings.ClusterId;
                o.ServiceId = settings.ServiceId;
            });
            silo.Configure<SiloOptions>(o => o.SiloName = settings.SiloId);
            silo.ConfigureEndpoints(address, settings.SiloPort, settings.GatewayPort, listenOnAnyHostAddress: false);
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                // Orleans's defaults (5 s probes, 60 s table refresh) take tens of seconds to declare a dead silo.
                o.ProbeTimeout = settings.ProbeTimeout;
                o.NumMissedProbesLimit = settings.MissedProbesLimit;
                // A prober does not vote while its connection to the suspect carried a message within
                // MaxProbeTimeout x NumMissedProbesLimit (Orleans: 5 s x 3); a frozen silo's last message
                // then delays its death by that much. 2 s x 3 keeps it within ~8 s.
                o.MaxProbeTimeout = TimeSpan.FromSeconds(2);
                o.TableRefreshTimeout = TimeSpan.FromSeconds(2);
                // In a small cluster a silo that stops answering (frozen, partitioned) is caught by its stale
                // IAmAlive row, not by votes: 2 s x 3 missed writes declares it within ~8 s instead of ~15.
                o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(2);
                o.NumMissedTableIAmAliveLimit = 3;
            });
            ConfigureStorage(silo, storage, settings);
            silo.AddCometGrid(grid => configuration.GetSection("Comet:Silo").Bind(grid),
                sandbox => configuration.GetSection("Comet:Sandbox").Bind(sandbox));
            // onTimer's share of the silo (issue 12): Comet:Silo:TimerBudget:CpuShare, MaxConcurrent, FirstBackOff, MaxBackOff.
            silo.Services.AddOptions<Comet.Grains.Timers.TimerBudgetOptions>()
                .Bind(configuration.GetSection("Comet:Silo:TimerBudget"))
                .Validate(o => { o.Validate(); return true; });
            silo.AddIncomingGrainCallFilter<ApiKeyCallFilter>();
            silo.AddDashboard();
            if (certificate is not null)
            {
                // Silos authenticate each other: both sides present the cluster certificate and accept only it.
                silo.UseTls(certificate, tls =>
                {
                    tls.RemoteCertificateMode = Orleans.Connections.Security.RemoteCertificateMode.RequireCertificate;
                    tls.ClientCertificateMode = Orleans.Connections.Security.RemoteCertificateMode.RequireCertificate;
                    tls.RemoteCertificateValidation = (remote, _, _) =>
                        remote is not null && string.Equals(remote.GetCertHashString(), certificate.GetCertHashString(), StringComparison.OrdinalIgnoreCase);
                });
            }
        });

        // After UseOrleans: the key store's first read waits until the silo has started.
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ApiKeyStore>());
        var app = builder.Build();
        var silo = new CometSilo(app, settings, storage);
        // A stop asked through the admin API (here, or forwarded from another silo) ends this silo's host only.
        app.Services.GetRequiredService<SiloAdmin>().StopHost = silo.StopAtAdminRequestAsync;
        if (settings.HttpPort >= 0)
        {
            app.MapCometRest();
            app.MapOrleansDashboard(OrleansDashboardPath);
            app.MapCometAdmin(OrleansDashboardPath);
            configureApp?.Invoke(app);
        }
        return silo;
    }

    private static void ConfigureStorage(ISiloBuilder silo, StorageSettings storage, SiloSettings settings)
    {
        switch (storage.Provider.ToLowerInvariant())
        {
            case "sqlite":
                var path = Path.GetFullPath(storage.SqlitePath);
                silo.UseSqliteClustering(o => o.DataSource = path);
                // A key collected after its deletion leaves no row behind (storage returns to its baseline).
                silo.AddSqliteGrainStorage(CometStorage.Replicas, o =>
                {
                    o.DataSource = path;
                    o.DeleteStateOnClear = true;
                });
                silo.UseSqliteReminderService(o => o.DataSource = path);
                break;
            case "azure":
                var tables = AzureTables(storage);
                var prefix = storage.AzureTableNamePrefix ?? "";
                silo.UseAzureStorageClustering(o =>
                {
                    o.TableServiceClient = tables;
                    o.TableName = prefix + "CometSilos";
                });
                silo.AddAzureTableGrainStorage(CometStorage.Replicas, o => o.Configure(t =>
                {
                    t.TableServiceClient = tables;
                    t.TableName = prefix + "CometReplicas";
                    t.DeleteStateOnClear = true;
                }));
                silo.UseAzureTableReminderService(o =>
                {
                    o.TableServiceClient = tables;
                    o.TableName = prefix + "CometReminders";
                });
                break;
            case "memory":
                // Nothing survives a restart; every silo of an in-process cluster finds the first one.
                silo.UseDevelopmentClustering(new IPEndPoint(IPAddress.Parse(settings.Host), settings.SiloPort - SiloIndexOffset(settings)));
                silo.AddMemoryGrainStorage(CometStorage.Replicas);
                silo.UseInMemoryReminderService();
                break;
            default:
                throw new ArgumentException($"Unknown storage provider '{storage.Provider}'; use sqlite, azure or memory.");
        }
    }

    /// <summary>In memory mode silo-N's silo port is the first silo's plus N - 1.</summary>
    private static int SiloIndexOffset(SiloSettings settings) =>
        settings.SiloId.StartsWith("silo-", StringComparison.Ordinal) && int.TryParse(settings.SiloId.AsSpan(5), out var n) && n > 0 ? n - 1 : 0;

    /// <summary>A connection string (keys: Azurite, dev) wins; otherwise the endpoint with a token credential (no keys).</summary>
    private static TableServiceClient AzureTables(StorageSettings settings)
    {
        if (!string.IsNullOrWhiteSpace(settings.AzureConnectionString)) return new TableServiceClient(settings.AzureConnectionString);
        if (string.IsNullOrWhiteSpace(settings.AzureTableEndpoint))
            throw new ArgumentException(
                "--storage azure needs Comet:Storage:AzureConnectionString (--azure-connection-string) or Comet:Storage:AzureTableEndpoint (--azure-table-endpoint) with a managed identity.");
        if (!Uri.TryCreate(settings.AzureTableEndpoint, UriKind.Absolute, out var endpoint))
            throw new ArgumentException($"Comet:Storage:AzureTableEndpoint '{settings.AzureTableEndpoint}' is not an absolute URI.");
        TokenCredential credential = string.IsNullOrWhiteSpace(settings.AzureManagedIdentityClientId)
            ? new DefaultAzureCredential()
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(settings.AzureManagedIdentityClientId));
        return new TableServiceClient(endpoint, credential);
    }

    private static void Copy(SecurityOptions from, SecurityOptions to)
    {
        to.KeyPepper = from.KeyPepper;
        to.KeyRefreshPeriod = from.KeyRefreshPeriod;
        to.KeyMissReadsPerSecond = from.KeyMissReadsPerSecond;
        to.Certificate = from.Certificate;
        to.Admission = from.Admission;
        to.RateLimits = from.RateLimits;
    }

    public async Task StartAsync(CancellationToken ct = default)
    {
        await _app.StartAsync(ct).ConfigureAwait(false);
        if (Settings.HttpPort >= 0) HttpAddress = _app.Urls.FirstOrDefault();
        Interlocked.Exchange(ref _started, 1);
        Interlocked.Increment(ref s_running);
    }

    /// <summary>Stops the silo cleanly; once: a second call (the admin API stopped it, then its host) gets the first one's task.</summary>
    public Task StopAsync(CancellationToken ct = default)
    {
        lock (_stopLock)
        {
            return _stopping ??= StopOnceAsync(ct);
        }
    }

    private async Task StopOnceAsync(CancellationToken ct)
    {
        try
        {
            await _app.StopAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            if (Interlocked.Exchange(ref _started, 0) == 1) Interlocked.Decrement(ref s_running);
        }
    }

    /// <summary>
    /// A stop asked through the admin API: this silo's host stops (its grains deactivate and write
    /// their state, the ring moves on). The silo executable has nobody else to end it, so it ends
    /// with its last silo; a process that merely hosts silos (tests) keeps running.
    /// </summary>
    private async Task StopAtAdminRequestAsync()
    {
        await StopAsync().ConfigureAwait(false);
        if (Volatile.Read(ref s_running) == 0 && Assembly.GetEntryAssembly()?.GetName().Name == "comet-silo") Environment.Exit(0);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
