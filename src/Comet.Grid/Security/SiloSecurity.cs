using System.Net;
using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Wire;
using Comet.Grid.Hosting;
using Comet.Storage;
using Microsoft.Extensions.Logging;

namespace Comet.Grid.Security;

/// <summary>
/// One silo's security, put together from <see cref="SecurityOptions"/>: the API key store, who may connect to which
/// port (the handshake validators), the Hellos this silo sends (with a fresh cluster proof each), the gateway guard,
/// admission and rate limits, and the TLS settings of its listeners, connector and HTTP endpoint.
/// </summary>
public sealed class SiloSecurity : IAsyncDisposable
{
    private readonly SiloOptions _silo;
    private readonly ILogger _logger;
    private readonly ConditionalWeakTable<Hello, CallerCredentials> _handshakes = new();

    private SiloSecurity(SiloOptions silo, ApiKeyStore keys, TimeProvider time, ILogger logger, X509Certificate2? certificate)
    {
        _silo = silo;
        _logger = logger;
        Options = silo.Security;
        Keys = keys;
        Authorizer = new RequestAuthorizer(silo, keys);
        Admission = new FairStorageAdmission(Options.Admission, time);
        RateLimits = new RequestRateLimiter(Options.RateLimits, time);
        Proof = Options.HasClusterSecret ? new ClusterProof(Options.ClusterSecret!, Options.ClusterProofMaxAge, time) : null;
        Certificate = certificate;
        if (certificate is not null)
        {
            ServerTls = new SslServerAuthenticationOptions { ServerCertificate = certificate, ClientCertificateRequired = false };
            ClientTls = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = ValidatePeerCertificate };
        }
    }

    /// <summary>Loads the certificate, opens the key store, and checks the options.</summary>
    public static async Task<SiloSecurity> StartAsync(SiloOptions options, IStorageProvider storage, TimeProvider time, ILoggerFactory loggers, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        var security = options.Security ?? throw new ArgumentException("SiloOptions.Security must not be null.");
        security.Validate();
        var logger = loggers.CreateLogger("Comet.Security." + options.SiloId);
        var certificate = security.Certificate
            ?? (string.IsNullOrEmpty(security.CertificatePath) ? null : X509CertificateLoader.LoadPkcs12FromFile(security.CertificatePath, security.CertificatePassword));
        if (certificate is { HasPrivateKey: false })
            throw new ArgumentException("The TLS certificate needs its private key.");
        if (!options.DevMode && !security.HasClusterSecret) SecurityLog.NoClusterSecret(logger);
        var keys = await ApiKeyStore.OpenAsync(storage, security, time, logger, ct).ConfigureAwait(false);
        return new SiloSecurity(options, keys, time, logger, certificate);
    }

    public SecurityOptions Options { get; }

    public ApiKeyStore Keys { get; }

    public RequestAuthorizer Authorizer { get; }

    public FairStorageAdmission Admission { get; }

    public RequestRateLimiter RateLimits { get; }

    /// <summary>The cluster-secret prover and checker; null when no secret is configured.</summary>
    public ClusterProof? Proof { get; }

    /// <summary>This silo's TLS certificate; null when TLS is off.</summary>
    public X509Certificate2? Certificate { get; }

    /// <summary>TLS for the silo and gateway listeners; null when off.</summary>
    public SslServerAuthenticationOptions? ServerTls { get; }

    /// <summary>TLS for connections this silo dials to other silos; null when off.</summary>
    public SslClientAuthenticationOptions? ClientTls { get; }

    /// <summary>The Hello this silo dials other silos with (a fresh proof each time).</summary>
    public Hello DialHello() => Proof?.CreateHello(_silo.SiloId, ClusterProof.PurposeDial) ?? new Hello(NodeRole.Silo, _silo.SiloId);

    /// <summary>The Hello the silo port answers silos with (a fresh proof each time).</summary>
    public Hello AcceptHello() => Proof?.CreateHello(_silo.SiloId, ClusterProof.PurposeAccept) ?? new Hello(NodeRole.Silo, _silo.SiloId);

    /// <summary>The Hello the gateway port answers with: never a proof (a client must not get one to replay).</summary>
    public Hello GatewayHello() => new(NodeRole.Silo, _silo.SiloId);

    /// <summary>Silo port: silos only, each proving the cluster secret when one is configured.</summary>
    public ValueTask<bool> ValidateSiloPortPeerAsync(Hello hello)
    {
        ArgumentNullException.ThrowIfNull(hello);
        if (hello.Role != NodeRole.Silo)
            throw new CometException(CometErrorCode.Forbidden, $"The silo port serves silos only; clients connect to the gateway port ({_silo.GatewayPort} by default).");
        return ValueTask.FromResult(CheckSilo(hello, ClusterProof.PurposeDial));
    }

    /// <summary>
    /// A silo this silo dialled must prove the secret too (it could be an impostor listening at a stale address). One
    /// that cannot is, to the caller, a silo that is not there: Unavailable, so writes go to the next replica
    /// (sloppy quorum, hints) instead of failing with an error the client cannot act on.
    /// </summary>
    public ValueTask<bool> ValidateDialledSiloAsync(Hello hello)
    {
        ArgumentNullException.ThrowIfNull(hello);
        if (hello.Role == NodeRole.Silo && CheckSilo(hello, ClusterProof.PurposeAccept)) return ValueTask.FromResult(true);
        throw new CometException(CometErrorCode.Unavailable, $"{hello.Role} {hello.NodeId} did not prove the cluster secret; it is not used as a silo of this cluster.");
    }

    /// <summary>
    /// Gateway port: a client's key is checked at once (a wrong or revoked key is refused here, Unauthorized); a
    /// client without a key is let in only in dev mode, where each request is then checked for anonymous access.
    /// A silo-role peer must prove the secret when one is configured (it may use silo operations).
    /// </summary>
    public async ValueTask<bool> ValidateGatewayPeerAsync(Hello hello)
    {
        ArgumentNullException.ThrowIfNull(hello);
        if (hello.Role == NodeRole.Silo) return CheckSilo(hello, ClusterProof.PurposeDial);
        CallerCredentials credentials;
        if (hello.Auth.IsEmpty)
        {
            if (!_silo.DevMode)
            {
                SecurityLog.ClientRefused(_logger, hello.NodeId, "no API key");
                throw new CometException(CometErrorCode.Unauthorized, "This cluster needs an API key; set CometClientOptions.ApiKey.");
            }
            credentials = CallerCredentials.Anonymous(null);
        }
        else
        {
            string token;
            try
            {
                token = new UTF8Encoding(false, true).GetString(hello.Auth.Span);
            }
            catch (DecoderFallbackException)
            {
                token = "";
            }
            var key = await Keys.AuthenticateAsync(token).ConfigureAwait(false);
            if (key is null)
            {
                SecurityLog.ClientRefused(_logger, hello.NodeId, "invalid API key");
                throw new CometException(CometErrorCode.Unauthorized, "The API key is not valid (wrong, malformed or revoked); check the key you were given.");
            }
            credentials = CallerCredentials.Valid(key, null);
        }
        _handshakes.AddOrUpdate(hello, credentials);
        return true;
    }

    /// <summary>What a connection's client presented, as its handshake resolved it.</summary>
    public CallerCredentials CredentialsOf(Hello hello) =>
        _handshakes.TryGetValue(hello, out var credentials) ? credentials : CallerCredentials.Invalid(null);

    /// <summary>Wraps the gateway port's request handler with the per-request checks.</summary>
    public IFrameRequestHandler GuardGateway(IFrameRequestHandler inner) => new GatewayGuard(inner, this);

    /// <summary>
    /// The per-request checks of both gateways, before anything runs: namespace access (401/403), then the client's
    /// and the object's request rate (429).
    /// </summary>
    public void Admit(CallerCredentials caller, string ns, string key)
    {
        ArgumentNullException.ThrowIfNull(caller);
        Authorizer.Authorize(caller, ns);
        RateLimits.Take(caller.Account, ns, key);
    }

    /// <summary>A put's storage: the client's fair share of this silo's byte-seconds (429 past it when contended).</summary>
    public void AdmitPut(CallerCredentials caller, long bytes, int? ttlSeconds)
    {
        ArgumentNullException.ThrowIfNull(caller);
        Admission.Admit(caller.Account, Admission.CostOf(bytes, ttlSeconds));
    }

    /// <summary>The credentials of an HTTP request: <c>Authorization: Bearer &lt;key&gt;</c> or <c>X-Comet-Key</c>.</summary>
    public async ValueTask<CallerCredentials> CredentialsOfAsync(string? token, IPAddress? address, CancellationToken ct)
    {
        if (token is null) return CallerCredentials.Anonymous(address);
        var key = await Keys.AuthenticateAsync(token, ct).ConfigureAwait(false);
        return key is null ? CallerCredentials.Invalid(address) : CallerCredentials.Valid(key, address);
    }

    public ValueTask DisposeAsync() => Keys.DisposeAsync();

    private bool CheckSilo(Hello hello, byte purpose)
    {
        if (Proof is null) return true;
        if (Proof.Verify(hello, purpose, out var why)) return true;
        SecurityLog.SiloRefused(_logger, hello.NodeId, why);
        return false;
    }

    /// <summary>Silos trust a peer certificate with a valid chain, or one whose thumbprint is configured (or is their own).</summary>
    private bool ValidatePeerCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None) return true;
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0) return false;
        var thumbprint = certificate.GetCertHashString();
        if (Certificate is not null && string.Equals(thumbprint, Certificate.Thumbprint, StringComparison.OrdinalIgnoreCase)) return true;
        foreach (var trusted in Options.TrustedPeerThumbprints)
        {
            if (string.Equals(thumbprint, trusted, StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }
}
