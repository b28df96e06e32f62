using System.Text;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Options;
using Comet.Abstractions.Protocol;
using Comet.Client.Connection;
using Comet.Client.Validation;
using Comet.Grains;

namespace Comet.Client;

/// <summary>
/// The one object an application needs to use a CometGrains cluster: thread-safe, long-lived, shared by the whole
/// process (like StackExchange.Redis's multiplexer). It is a typed API over an Orleans cluster client: every request is
/// a call to the grid's coordinator grain (<see cref="ICoordinatorGrain"/>, a stateless worker on the gateway silo the
/// call arrives at), which runs Dynamo's quorum protocol against the key's replica grains.
/// <para>
/// Orleans does the networking: it connects to the configured gateways, spreads requests over them, multiplexes many
/// requests on each connection, drops a gateway that fails and tries it again later. A request is never retried:
/// a request that no silo could take fails with <see cref="CometErrorCode.Unavailable"/>, one that got no answer in
/// <see cref="CometClientOptions.RequestTimeout"/> with <see cref="CometErrorCode.Timeout"/> (it may still have been
/// stored: put again with <see cref="PutOptions.Context"/> to be sure of what replaces what). Every error is a
/// <see cref="CometException"/> whose code says what went wrong and whose message says what to do; bad input (keys,
/// sizes, options) fails before anything is sent. A cancelled token ends the wait with
/// <see cref="OperationCanceledException"/> (the cluster may still complete the request).
/// </para>
/// <para>The <see cref="ValueTask"/>s returned may be awaited once (call <c>AsTask()</c> to hold on to one).</para>
/// </summary>
public sealed partial class CometClient : IAsyncDisposable
{
    private readonly ClusterConnection _connection;
    private ICoordinatorGrain? _coordinator;
    private readonly ObjectLimits _limits;
    private readonly string _defaultNamespace;
    private readonly string? _apiKey;
    private int _disposed;
    private long _requests;
    private long _unavailable;
    private long _timeouts;

    private CometClient(ClusterConnection connection, CometClientOptions options)
    {
        _connection = connection;
        _limits = new ObjectLimits
        {
            MaxKeyBytes = options.Limits.MaxKeyBytes,
            MaxNamespaceLength = options.Limits.MaxNamespaceLength,
            MaxValueBytes = options.Limits.MaxValueBytes,
            MaxCodeBytes = options.Limits.MaxCodeBytes,
        };
        _defaultNamespace = options.DefaultNamespace;
        _apiKey = options.ApiKey;
    }

    /// <summary>Counters of what the client has done so far (diagnostics).</summary>
    public CometClientStatistics Statistics =>
        new(Interlocked.Read(ref _requests), Interlocked.Read(ref _unavailable), Interlocked.Read(ref _timeouts));

    /// <summary>
    /// Connects to the cluster: starts an Orleans client on static clustering over
    /// <see cref="CometClientOptions.Gateways"/> with the options' cluster and service ids. Throws
    /// <see cref="ArgumentException"/> for invalid options, and <see cref="CometException"/>
    /// <see cref="CometErrorCode.Unavailable"/> when no gateway answers. With
    /// <see cref="CometClientOptions.AbortOnConnectFail"/> false it returns at once and connects in the background.
    /// Dispose the client to close its connections.
    /// </summary>
    public static async Task<CometClient> ConnectAsync(CometClientOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var connection = await ClusterConnection.ConnectAsync(options, cancellationToken).ConfigureAwait(false);
        return new CometClient(connection, options);
    }

    /// <summary>
    /// A client over an Orleans cluster client the application already has (code hosted in a silo, a test's
    /// cluster): it sends through <paramref name="clusterClient"/> and never starts or stops it. Of
    /// <paramref name="options"/> only the per-request settings count (API key, default namespace, limits); the
    /// connection settings are <paramref name="clusterClient"/>'s own.
    /// </summary>
    public static CometClient Create(IClusterClient clusterClient, CometClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(clusterClient);
        options ??= new CometClientOptions();
        options.ValidateRequestSettings();
        return new CometClient(ClusterConnection.Wrap(clusterClient), options);
    }

    /// <summary>Stores <paramref name="value"/> as a passive value under <paramref name="key"/>.</summary>
    /// <exception cref="CometException">BadKey, TooLarge, BadRequest (options) before sending; else the silo's answer (QuorumNotReached, Rejected by an ASO's onUpdate, …).</exception>
    public ValueTask<CometPutResult> PutAsync(string key, ReadOnlyMemory<byte> value, PutOptions? options = null, CancellationToken cancellationToken = default)
    {
        PutCommand command;
        try
        {
            command = BuildPut(key, ObjectKind.Value, value, code: null, options);
        }
        catch (CometException ex)
        {
            return ValueTask.FromException<CometPutResult>(ex);
        }
        return SendAsync("put", key, command, static (client, cmd) => client.Coordinator.PutAsync(cmd), AnswerMapping.Put, cancellationToken);
    }

    /// <summary>Stores <paramref name="value"/> (as UTF-8) as a passive value under <paramref name="key"/>.</summary>
    public ValueTask<CometPutResult> PutAsync(string key, string value, PutOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        return PutAsync(key, Encoding.UTF8.GetBytes(value), options, cancellationToken);
    }

    /// <summary>
    /// Stores an Active Storage Object: <paramref name="luaSource"/> runs in the store's sandbox and its handlers
    /// (<c>onPut</c>, <c>onGet</c>, <c>onUpdate</c>, <c>onTimer</c>) serve the key from now on.
    /// </summary>
    /// <exception cref="CometException">BadKey, BadCode, TooLarge before sending; BadCode (does not compile), Rejected, HandlerError, … from the silo.</exception>
    public ValueTask<CometPutResult> PutAsoAsync(string key, string luaSource, PutOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(luaSource);
        PutCommand command;
        try
        {
            RequestChecks.Code(luaSource, _limits);
            command = BuildPut(key, ObjectKind.Aso, ReadOnlyMemory<byte>.Empty, luaSource, options);
        }
        catch (CometException ex)
        {
            return ValueTask.FromException<CometPutResult>(ex);
        }
        return SendAsync("put", key, command, static (client, cmd) => client.Coordinator.PutAsync(cmd), AnswerMapping.Put, cancellationToken);
    }

    /// <summary>
    /// Reads a key: its live version (or, with siblings, every concurrent version), or one kept version
    /// (<see cref="GetOptions.Version"/>). An ASO answers with the JSON of its <c>onGet</c> handler.
    /// </summary>
    /// <exception cref="CometException">NotFound when there is no live object (never stored, deleted or expired); see <see cref="TryGetAsync"/>.</exception>
    public ValueTask<CometGetResult> GetAsync(string key, GetOptions? options = null, CancellationToken cancellationToken = default)
    {
        GetCommand command;
        try
        {
            var ns = options?.Namespace ?? _defaultNamespace;
            RequestChecks.Key(ns, key, _limits);
            var quorum = RequestChecks.Quorum(options?.N, options?.R, null);
            RequestChecks.Version(options?.Version);
            var args = RequestChecks.Args(options?.Args, options?.ArgsJson);
            command = new GetCommand(ns, key, options?.Version, quorum, args);
        }
        catch (CometException ex)
        {
            return ValueTask.FromException<CometGetResult>(ex);
        }
        return SendAsync("get", key, command, static (client, cmd) => client.Coordinator.GetAsync(cmd), AnswerMapping.Get, cancellationToken);
    }

    /// <summary>Like <see cref="GetAsync"/>, but answers null instead of throwing NotFound.</summary>
    public async ValueTask<CometGetResult?> TryGetAsync(string key, GetOptions? options = null, CancellationToken cancellationToken = default)
    {
        try
        {
            return await GetAsync(key, options, cancellationToken).ConfigureAwait(false);
        }
        catch (CometException ex) when (ex.Code == CometErrorCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Deletes a key: writes a tombstone version that hides what it replaces (on every replica once W acknowledge).</summary>
    public ValueTask<CometDeleteResult> DeleteAsync(string key, DeleteOptions? options = null, CancellationToken cancellationToken = default)
    {
        DeleteCommand command;
        try
        {
            var ns = options?.Namespace ?? _defaultNamespace;
            RequestChecks.Key(ns, key, _limits);
            var quorum = RequestChecks.Quorum(options?.N, null, options?.W);
            RequestChecks.Context(options?.Context);
            var args = RequestChecks.Args(options?.Args, options?.ArgsJson);
            command = new DeleteCommand(ns, key, options?.Context, quorum, args);
        }
        catch (CometException ex)
        {
            return ValueTask.FromException<CometDeleteResult>(ex);
        }
        return SendAsync("delete", key, command, static (client, cmd) => client.Coordinator.DeleteAsync(cmd), AnswerMapping.Delete, cancellationToken);
    }

    /// <summary>The versions the replicas keep of a key, newest first (tombstones included): metadata only.</summary>
    public ValueTask<IReadOnlyList<CometHistoryEntry>> HistoryAsync(string key, HistoryOptions? options = null, CancellationToken cancellationToken = default)
    {
        HistoryQuery query;
        try
        {
            var ns = options?.Namespace ?? _defaultNamespace;
            RequestChecks.Key(ns, key, _limits);
            query = new HistoryQuery(ns, key);
        }
        catch (CometException ex)
        {
            return ValueTask.FromException<IReadOnlyList<CometHistoryEntry>>(ex);
        }
        return SendAsync("history read", key, query, static (client, q) => client.Coordinator.HistoryAsync(q), AnswerMapping.History, cancellationToken);
    }

    /// <summary>
    /// The silos of the cluster and their membership status, from Orleans's management grain
    /// (<c>IManagementGrain.GetDetailedHosts</c>); silos declared dead are left out.
    /// </summary>
    public async Task<IReadOnlyList<CometSilo>> GetClusterAsync(CancellationToken cancellationToken = default)
    {
        var hosts = await SendAsync("cluster read", "", false,
            static (client, onlyActive) => client._connection.Client.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive),
            static (entries, _) => entries, cancellationToken).ConfigureAwait(false);
        var silos = new List<CometSilo>(hosts.Length);
        foreach (var host in hosts)
        {
            if (host.Status == SiloStatus.Dead) continue;
            var endPoint = host.SiloAddress.Endpoint;
            silos.Add(new CometSilo(host.SiloName, endPoint.Address.ToString(), endPoint.Port, host.ProxyPort, HttpPort: -1, host.Status.ToString()));
        }
        silos.Sort(static (a, b) => string.CompareOrdinal(a.Id, b.Id));
        return silos;
    }

    /// <summary>
    /// Stops the Orleans client this client started and closes its connections (requests in flight fail with
    /// Unavailable). A cluster client given to <see cref="Create"/> is left running.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// The coordinator grain (a stateless worker: any silo that takes the call runs one). Asked for once connected:
    /// before that the client does not know the cluster's grain types.
    /// </summary>
    private ICoordinatorGrain Coordinator => _coordinator ??= _connection.Client.GetGrain<ICoordinatorGrain>(0);

    private PutCommand BuildPut(string key, ObjectKind kind, ReadOnlyMemory<byte> value, string? code, PutOptions? options)
    {
        var ns = options?.Namespace ?? _defaultNamespace;
        RequestChecks.Key(ns, key, _limits);
        RequestChecks.Value(value.Length, _limits);
        RequestChecks.Ttl(options?.TtlSeconds);
        var quorum = RequestChecks.Quorum(options?.N, null, options?.W);
        RequestChecks.Context(options?.Context);
        var args = RequestChecks.Args(options?.Args, options?.ArgsJson);
        return new PutCommand(ns, key, kind, value, code, options?.Context, options?.TtlSeconds, quorum, args);
    }
}
