using System.Security.Cryptography;
using System.Text;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Keys;
using Comet.Abstractions.Options;
using Comet.Abstractions.Wire;
using Comet.Client.Routing;

namespace Comet.Client;

/// <summary>
/// How a <see cref="CometClient"/> reaches the cluster. Read once by <see cref="CometClient.ConnectAsync"/>;
/// changing an instance afterwards does not affect a client already connected.
/// </summary>
public sealed class CometClientOptions
{
    /// <summary>
    /// Silo gateways to learn the cluster from, as <c>host:port</c> (<c>[::1]:30000</c> for IPv6). At least one;
    /// more are tried in turn when the first does not answer. After that the client talks to every silo directly.
    /// </summary>
    public IReadOnlyList<string> Gateways { get; set; } = [];

    /// <summary>This client's id, sent in the handshake; ASO handlers see it as <c>caller.id</c>. Default: a random <c>client-xxxxxxxx</c>.</summary>
    public string ClientId { get; set; } = "client-" + RandomNumberGenerator.GetHexString(8, lowercase: true);

    /// <summary>API key sent in the handshake (UTF-8) for namespaces that require one. Default: none (anonymous).</summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// TLS to the silos' gateway ports (set when the silos have a certificate). Its TargetHost defaults to each
    /// silo's host; set <see cref="System.Net.Security.SslClientAuthenticationOptions.RemoteCertificateValidationCallback"/>
    /// to trust a self-signed cluster certificate. Default null: plain TCP.
    /// </summary>
    public System.Net.Security.SslClientAuthenticationOptions? Tls { get; set; }

    /// <summary>Namespace of requests whose options name none. Default <c>default</c>.</summary>
    public string DefaultNamespace { get; set; } = "default";

    /// <summary>How long a request may wait for its answer before failing with <see cref="CometErrorCode.Timeout"/>. Default 10 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long dialling a silo (TCP connect plus handshake) may take before it counts as unavailable. Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How often the client re-reads the cluster view (membership and ring). It also re-reads it at once when a silo
    /// fails a request with <see cref="CometErrorCode.Unavailable"/>. <see cref="Timeout.InfiniteTimeSpan"/> turns the
    /// periodic refresh off. Default 5 s.
    /// </summary>
    public TimeSpan ViewRefreshPeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// After a silo fails a request with <see cref="CometErrorCode.Unavailable"/>, requests skip it (going to the next
    /// silo of each key's preference list) for this long before trying it again. Default 2 s.
    /// </summary>
    public TimeSpan FailedSiloCooldown { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Long-lived connections per silo, each multiplexing many requests: 1 (default) or 2 (DESIGN.md, Transport).</summary>
    public int ConnectionsPerSilo { get; set; } = 1;

    /// <summary>
    /// True (default): <see cref="CometClient.ConnectAsync"/> reads the cluster view first and fails with
    /// <see cref="CometErrorCode.Unavailable"/> when no gateway answers. False: it returns at once with a client that
    /// learns the cluster in the background and meanwhile sends requests to the gateways, which forward them
    /// (StackExchange.Redis's <c>abortConnect=false</c>).
    /// </summary>
    public bool AbortOnConnectFail { get; set; } = true;

    /// <summary>Size limits checked before a request is sent (keys, values, code); match the silos' configuration. Default: the store's defaults.</summary>
    public ObjectLimits Limits { get; set; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting that is out of range.</summary>
    public void Validate()
    {
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

        if (string.IsNullOrEmpty(ClientId))
            throw new ArgumentException("ClientId must not be empty.", nameof(ClientId));
        if (Encoding.UTF8.GetByteCount(ClientId) > Hello.MaxNodeIdBytes)
            throw new ArgumentException($"ClientId is at most {Hello.MaxNodeIdBytes} UTF-8 bytes.", nameof(ClientId));
        if (ApiKey is not null && Encoding.UTF8.GetByteCount(ApiKey) > Hello.MaxAuthBytes)
            throw new ArgumentException($"ApiKey is at most {Hello.MaxAuthBytes} UTF-8 bytes.", nameof(ApiKey));

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

        RequirePositive(RequestTimeout, nameof(RequestTimeout), allowInfinite: true);
        RequirePositive(ConnectTimeout, nameof(ConnectTimeout), allowInfinite: true);
        RequirePositive(ViewRefreshPeriod, nameof(ViewRefreshPeriod), allowInfinite: true);
        if (FailedSiloCooldown < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(FailedSiloCooldown), FailedSiloCooldown, "FailedSiloCooldown must not be negative.");
        if (ConnectionsPerSilo is < 1 or > 2)
            throw new ArgumentOutOfRangeException(nameof(ConnectionsPerSilo), ConnectionsPerSilo, "ConnectionsPerSilo must be 1 or 2.");
    }

    private static void RequirePositive(TimeSpan value, string name, bool allowInfinite)
    {
        if (allowInfinite && value == Timeout.InfiniteTimeSpan) return;
        if (value <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive{(allowInfinite ? " or Timeout.InfiniteTimeSpan" : "")}.");
    }
}
