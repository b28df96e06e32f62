using System.Text;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Keys;
using Comet.Abstractions.Options;
using Comet.Abstractions.Protocol;
using Comet.Abstractions.Wire;
using Comet.Client.Routing;
using Comet.Client.Validation;

namespace Comet.Client;

/// <summary>
/// The one object an application needs to use a CometGrains cluster: thread-safe, long-lived, shared by the whole
/// process (like StackExchange.Redis's multiplexer). It learns the ring from the cluster view and sends each request
/// straight to the key's coordinator over one or two long-lived connections per silo, many requests in flight on each.
/// <para>
/// Failures: a request that a silo cannot serve (<see cref="CometErrorCode.Unavailable"/>: it is down, or closing) is
/// retried once on the next silo of the key's preference list, and the view is re-read. Each request goes to at most
/// two silos and to each at most once. A put whose first silo failed after it had already stored the value is then
/// stored twice, as two versions of the same value; send <see cref="PutOptions.Context"/> to make the second one
/// replace the first. No other error is retried: it is the answer. Every error is a <see cref="CometException"/>
/// whose code says what went wrong and whose message says what to do; bad input (keys, sizes, options) fails before
/// anything is sent.
/// </para>
/// <para>The <see cref="ValueTask"/>s returned may be awaited once (call <c>AsTask()</c> to hold on to one).</para>
/// </summary>
public sealed partial class CometClient : IAsyncDisposable
{
    private readonly FrameConnector _connector;
    private readonly ClusterWatcher _watcher;
    private readonly ObjectLimits _limits;
    private readonly string _defaultNamespace;
    private readonly TimeSpan _cooldown;
    private int _disposed;
    private long _retries;

    private CometClient(CometClientOptions options)
    {
        ClientId = options.ClientId;
        _limits = new ObjectLimits
        {
            MaxKeyBytes = options.Limits.MaxKeyBytes,
            MaxNamespaceLength = options.Limits.MaxNamespaceLength,
            MaxValueBytes = options.Limits.MaxValueBytes,
            MaxCodeBytes = options.Limits.MaxCodeBytes,
        };
        _defaultNamespace = options.DefaultNamespace;
        _cooldown = options.FailedSiloCooldown;
        var gateways = new List<System.Net.EndPoint>(options.Gateways.Count);
        foreach (var gateway in options.Gateways)
        {
            var endPoint = GatewayAddress.Parse(gateway);
            if (!gateways.Contains(endPoint)) gateways.Add(endPoint);
        }
        var auth = options.ApiKey is null ? ReadOnlyMemory<byte>.Empty : Encoding.UTF8.GetBytes(options.ApiKey);
        _connector = new FrameConnector(
            new FrameConnectorOptions
            {
                ConnectionsPerEndpoint = options.ConnectionsPerSilo,
                ConnectTimeout = options.ConnectTimeout,
                Tls = options.Tls,
                Connection = new FrameConnectionOptions { RequestTimeout = options.RequestTimeout },
            },
            new Hello(NodeRole.Client, options.ClientId, auth));
        _watcher = new ClusterWatcher(_connector, gateways, options.ViewRefreshPeriod);
    }

    /// <summary>This client's id, as ASO handlers see it in <c>caller.id</c>.</summary>
    public string ClientId { get; }

    /// <summary>The silos of the cluster view the client routes by now (no network call; see <see cref="GetClusterAsync"/>).</summary>
    public IReadOnlyList<CometSilo> KnownSilos => _watcher.Current.Silos;

    /// <summary>Counters of what the client has done so far (diagnostics).</summary>
    public CometClientStatistics Statistics
    {
        get
        {
            var map = _watcher.Current;
            var bySilo = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var route in map.Routes) bySilo[route.Id] = route.Requests;
            return new CometClientStatistics(Interlocked.Read(ref _retries), _watcher.Refreshes, map.MembershipVersion, bySilo);
        }
    }

    /// <summary>
    /// Connects to the cluster: reads the cluster view from the first of <see cref="CometClientOptions.Gateways"/> that
    /// answers. Throws <see cref="ArgumentException"/> for invalid options, and <see cref="CometException"/>
    /// <see cref="CometErrorCode.Unavailable"/> when no gateway answers. With
    /// <see cref="CometClientOptions.AbortOnConnectFail"/> false it returns at once and learns the cluster in the background.
    /// </summary>
    public static async Task<CometClient> ConnectAsync(CometClientOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var client = new CometClient(options);
        if (!options.AbortOnConnectFail)
        {
            client._watcher.RefreshSoon();
            client._watcher.Start();
            return client;
        }
        try
        {
            await client._watcher.RefreshAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        client._watcher.Start();
        return client;
    }

    /// <summary>Stores <paramref name="value"/> as a passive value under <paramref name="key"/>.</summary>
    /// <exception cref="CometException">BadKey, TooLarge, BadRequest (options) before sending; else the silo's answer (QuorumNotReached, Rejected by an ASO's onUpdate, …).</exception>
    public ValueTask<CometPutResult> PutAsync(string key, ReadOnlyMemory<byte> value, PutOptions? options = null, CancellationToken cancellationToken = default)
    {
        PutRequest request;
        ObjectKey objectKey;
        try
        {
            (objectKey, request) = BuildPut(key, ObjectKind.Value, value, code: null, options);
        }
        catch (CometException ex)
        {
            return ValueTask.FromException<CometPutResult>(ex);
        }
        return CallAsync(Opcode.Put, objectKey, request.Quorum.N, request, ProtocolCodec.WritePut, ProtocolCodec.ReadPut, cancellationToken);
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
        PutRequest request;
        ObjectKey objectKey;
        try
        {
            RequestChecks.Code(luaSource, _limits);
            (objectKey, request) = BuildPut(key, ObjectKind.Aso, ReadOnlyMemory<byte>.Empty, luaSource, options);
        }
        catch (CometException ex)
        {
            return ValueTask.FromException<CometPutResult>(ex);
        }
        return CallAsync(Opcode.Put, objectKey, request.Quorum.N, request, ProtocolCodec.WritePut, ProtocolCodec.ReadPut, cancellationToken);
    }

    /// <summary>
    /// Reads a key: its live version (or, with siblings, every concurrent version), or one kept version
    /// (<see cref="GetOptions.Version"/>). An ASO answers with the JSON of its <c>onGet</c> handler.
    /// </summary>
    /// <exception cref="CometException">NotFound when there is no live object (never stored, deleted or expired); see <see cref="TryGetAsync"/>.</exception>
    public ValueTask<CometGetResult> GetAsync(string key, GetOptions? options = null, CancellationToken cancellationToken = default)
    {
        GetRequest request;
        ObjectKey objectKey;
        try
        {
            var ns = options?.Namespace ?? _defaultNamespace;
            objectKey = RequestChecks.Key(ns, key, _limits);
            var quorum = RequestChecks.Quorum(options?.N, options?.R, null);
            RequestChecks.Version(options?.Version);
            var args = RequestChecks.Args(options?.Args, options?.ArgsJson);
            request = new GetRequest(ns, key, options?.Version, quorum, args);
        }
        catch (CometException ex)
        {
            return ValueTask.FromException<CometGetResult>(ex);
        }
        return CallAsync(Opcode.Get, objectKey, request.Quorum.N, request, ProtocolCodec.WriteGet, ProtocolCodec.ReadGet, cancellationToken);
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
        DeleteRequest request;
        ObjectKey objectKey;
        try
        {
            var ns = options?.Namespace ?? _defaultNamespace;
            objectKey = RequestChecks.Key(ns, key, _limits);
            var quorum = RequestChecks.Quorum(options?.N, null, options?.W);
            RequestChecks.Context(options?.Context);
            var args = RequestChecks.Args(options?.Args, options?.ArgsJson);
            request = new DeleteRequest(ns, key, options?.Context, quorum, args);
        }
        catch (CometException ex)
        {
            return ValueTask.FromException<CometDeleteResult>(ex);
        }
        return CallAsync(Opcode.Delete, objectKey, request.Quorum.N, request, ProtocolCodec.WriteDelete, ProtocolCodec.ReadDelete, cancellationToken);
    }

    /// <summary>The versions the replicas keep of a key, newest first (tombstones included).</summary>
    public ValueTask<IReadOnlyList<CometHistoryEntry>> HistoryAsync(string key, HistoryOptions? options = null, CancellationToken cancellationToken = default)
    {
        HistoryRequest request;
        ObjectKey objectKey;
        try
        {
            var ns = options?.Namespace ?? _defaultNamespace;
            objectKey = RequestChecks.Key(ns, key, _limits);
            request = new HistoryRequest(ns, key);
        }
        catch (CometException ex)
        {
            return ValueTask.FromException<IReadOnlyList<CometHistoryEntry>>(ex);
        }
        return CallAsync(Opcode.History, objectKey, null, request, ProtocolCodec.WriteHistory, ProtocolCodec.ReadHistory, cancellationToken);
    }

    /// <summary>Reads the cluster view now (from any silo), makes it the client's routing view, and returns its silos.</summary>
    public async Task<IReadOnlyList<CometSilo>> GetClusterAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var map = await _watcher.RefreshAsync(cancellationToken).ConfigureAwait(false);
        return map.Silos;
    }

    /// <summary>Stops the view refresh and closes every connection (requests in flight fail with Unavailable).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _watcher.DisposeAsync().ConfigureAwait(false);
        await _connector.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>The silo a request for the key goes to now (tests and diagnostics).</summary>
    internal SiloRoute RouteOf(string key, string? ns = null) =>
        _watcher.Current.CoordinatorOf(RequestChecks.Key(ns ?? _defaultNamespace, key, _limits).Hash);

    private (ObjectKey Key, PutRequest Request) BuildPut(string key, ObjectKind kind, ReadOnlyMemory<byte> value, string? code, PutOptions? options)
    {
        var ns = options?.Namespace ?? _defaultNamespace;
        var objectKey = RequestChecks.Key(ns, key, _limits);
        RequestChecks.Value(value.Length, _limits);
        RequestChecks.Ttl(options?.TtlSeconds);
        var quorum = RequestChecks.Quorum(options?.N, null, options?.W);
        RequestChecks.Context(options?.Context);
        var args = RequestChecks.Args(options?.Args, options?.ArgsJson);
        return (objectKey, new PutRequest(ns, key, kind, value, code, options?.Context, options?.TtlSeconds, quorum, args));
    }
}
