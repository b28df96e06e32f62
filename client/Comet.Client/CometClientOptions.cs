using System.Text;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Keys;
using Comet.Abstractions.Options;
using Comet.Client.Connection;
using Comet.Grains;

namespace Comet.Client;

/// <summary>
/// How a <see cref="CometClient"/> reaches the cluster. Read once by <see cref="CometClient.ConnectAsync"/>;
/// changing an instance afterwards does not affect a client already connected.
/// </summary>
public sealed class CometClientOptions
{
    /// <summary>The gateway of a local silo started with its defaults (Orleans's gateway port).</summary>
    public const string DefaultGateway = "127.0.0.1:30000";

    /// <summary>An API key is <c>ck_&lt;id&gt;_&lt;secret&gt;</c>, far shorter; a longer one is a mistake, refused before it travels with every call.</summary>
    public const int MaxApiKeyBytes = 8 * 1024;

    /// <summary>The longest <see cref="RequestTimeout"/>: Orleans times every call out, so there is no infinite one.</summary>
    public static readonly TimeSpan MaxRequestTimeout = TimeSpan.FromDays(1);

    /// <summary>
    /// Silo gateway ports, as <c>host:port</c> (<c>[::1]:30000</c> for IPv6), given to Orleans's static clustering.
    /// The client connects to every one that answers and spreads requests over them; a gateway that fails is left
    /// out until <see cref="ViewRefreshPeriod"/> later. Default: <see cref="DefaultGateway"/>.
    /// </summary>
    public IReadOnlyList<string> Gateways { get; set; } = [DefaultGateway];

    /// <summary>The Orleans cluster id; it must match the silos'. Default <see cref="CometCluster.DefaultClusterId"/>.</summary>
    public string ClusterId { get; set; } = CometCluster.DefaultClusterId;

    /// <summary>The Orleans service id; it must match the silos'. Default <see cref="CometCluster.DefaultServiceId"/>.</summary>
    public string ServiceId { get; set; } = CometCluster.DefaultServiceId;

    /// <summary>
    /// API key for namespaces that require one, sent with every call in Orleans's request context; the silo verifies
    /// it and ASO handlers see its id as <c>caller.id</c>. Default: none (anonymous).
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// TLS to the silos' gateway ports. Not available yet on the Orleans grid: setting it fails
    /// <see cref="CometClient.ConnectAsync"/> with <see cref="NotSupportedException"/> rather than connecting in
    /// plain text. Default null: plain TCP.
    /// </summary>
    public System.Net.Security.SslClientAuthenticationOptions? Tls { get; set; }

    /// <summary>Namespace of requests whose options name none. Default <c>default</c>.</summary>
    public string DefaultNamespace { get; set; } = "default";

    /// <summary>
    /// How long a request may wait for its answer before failing with <see cref="CometErrorCode.Timeout"/>
    /// (Orleans's response timeout, which must be finite: at most <see cref="MaxRequestTimeout"/>). Default 10 s.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long opening a connection to a gateway may take before it counts as unavailable. Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How often the client re-reads its gateway list and tries again the gateways it found dead (Orleans's
    /// <c>GatewayListRefreshPeriod</c>). <see cref="Timeout.InfiniteTimeSpan"/> turns it off. Default 5 s.
    /// </summary>
    public TimeSpan ViewRefreshPeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Connections to each gateway, each multiplexing many requests: 1 (default) or 2.</summary>
    public int ConnectionsPerSilo { get; set; } = 1;

    /// <summary>
    /// True (default): <see cref="CometClient.ConnectAsync"/> connects first and fails with
    /// <see cref="CometErrorCode.Unavailable"/> when no gateway answers. False: it returns at once with a client that
    /// keeps trying to connect in the background (StackExchange.Redis's <c>abortConnect=false</c>): a request made
    /// during the first attempt waits for it, and a request made while the client is not connected after that fails
    /// at once with Unavailable.
    /// </summary>
    public bool AbortOnConnectFail { get; set; } = true;

    /// <summary>Size limits checked before a request is sent (keys, values, code); match the silos' configuration. Default: the store's defaults.</summary>
    public ObjectLimits Limits { get; set; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting that is out of range.</summary>
    public void Validate()
    {
        ValidateRequestSettings();
        if (Gateways is null || Gateways.Count == 0)
            throw new ArgumentException("Name at least one gateway as host:port (e.g. 127.0.0.1:30000).", nameof(Gateways));
        foreach (var gateway in Gateways)
        {
            try
            {
                GatewayAddress.Parse(gateway);
            }
            catch (ArgumentException ex)
            {
                throw new ArgumentException(ex.Message, nameof(Gateways), ex);
            }
        }
        if (string.IsNullOrWhiteSpace(ClusterId))
            throw new ArgumentException("ClusterId must not be empty; it must match the silos' (default \"comet\").", nameof(ClusterId));
        if (string.IsNullOrWhiteSpace(ServiceId))
            throw new ArgumentException("ServiceId must not be empty; it must match the silos' (default \"comet\").", nameof(ServiceId));
        RequirePositive(ConnectTimeout, nameof(ConnectTimeout));
        RequirePositive(ViewRefreshPeriod, nameof(ViewRefreshPeriod));
        if (ConnectionsPerSilo is < 1 or > 2)
            throw new ArgumentOutOfRangeException(nameof(ConnectionsPerSilo), ConnectionsPerSilo, "ConnectionsPerSilo must be 1 or 2.");
    }

    /// <summary>
    /// The settings a client uses per request, which <see cref="CometClient.Create"/> also needs; the connection
    /// settings belong to the cluster client it wraps.
    /// </summary>
    internal void ValidateRequestSettings()
    {
        if (ApiKey is not null)
        {
            if (ApiKey.Length == 0)
                throw new ArgumentException("ApiKey is empty; leave it null for anonymous access.", nameof(ApiKey));
            if (Encoding.UTF8.GetByteCount(ApiKey) > MaxApiKeyBytes)
                throw new ArgumentException($"ApiKey is at most {MaxApiKeyBytes} UTF-8 bytes.", nameof(ApiKey));
        }
        ArgumentNullException.ThrowIfNull(DefaultNamespace, nameof(DefaultNamespace));
        ArgumentNullException.ThrowIfNull(Limits, nameof(Limits));
        Limits.Validate();
        try
        {
            ObjectKey.ValidateNamespace(DefaultNamespace, Limits);
        }
        catch (CometException ex)
        {
            throw new ArgumentException(ex.Message, nameof(DefaultNamespace), ex);
        }
        if (RequestTimeout <= TimeSpan.Zero || RequestTimeout > MaxRequestTimeout)
            throw new ArgumentOutOfRangeException(nameof(RequestTimeout), RequestTimeout, "RequestTimeout must be positive and at most a day (Orleans times every call out).");
    }

    private static void RequirePositive(TimeSpan value, string name)
    {
        if (value == Timeout.InfiniteTimeSpan) return;
        if (value <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive or Timeout.InfiniteTimeSpan.");
    }
}
