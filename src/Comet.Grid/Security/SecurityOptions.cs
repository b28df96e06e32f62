using System.Security.Cryptography.X509Certificates;

namespace Comet.Grid.Security;

/// <summary>
/// How a silo authenticates clients (API keys per namespace), other silos (the cluster secret) and encrypts its
/// sockets (optional TLS), and how it shares its storage and request rate between clients. Bound from
/// <c>Comet:Silo:Security</c>. Every default keeps a dev cluster open on loopback and never throttles tests or benchmarks.
/// </summary>
public sealed class SecurityOptions
{
    /// <summary>
    /// Shared secret of the cluster: each silo proves it in its handshake (HMAC-SHA256 over its id, a time and a
    /// nonce), and silo-role peers without a valid proof are refused. Null or empty: silos are not authenticated
    /// (dev only; a silo outside dev mode logs a warning).
    /// </summary>
    public string? ClusterSecret { get; set; }

    /// <summary>How old (or how far in the future, for clock skew) a silo's handshake proof may be. Default 5 min.</summary>
    public TimeSpan ClusterProofMaxAge { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Server-side pepper for API key hashes: when set, keys are stored as HMAC-SHA256(pepper, secret) so a copy of
    /// the key table alone cannot even be checked against guesses. Every silo must use the same pepper. Null: SHA-256.
    /// </summary>
    public string? KeyPepper { get; set; }

    /// <summary>How often each silo re-reads the API key table; a revocation takes effect everywhere within this time. Default 2 s.</summary>
    public TimeSpan KeyRefreshPeriod { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// A key id this silo has not seen yet (a key just created on another silo) is read from the table at once, at
    /// most this many times a second, so random ids cannot turn into a storage read each. Default 20.
    /// </summary>
    public double KeyMissReadsPerSecond { get; set; } = 20;

    /// <summary>
    /// Certificate (with its private key) for TLS on the gateway, silo and HTTP ports. Null (default): plain TCP and HTTP.
    /// Set it in code, or through <see cref="CertificatePath"/>.
    /// </summary>
    public X509Certificate2? Certificate { get; set; }

    /// <summary>PKCS#12 file to load <see cref="Certificate"/> from when that is not set.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>Password of <see cref="CertificatePath"/>.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>
    /// Thumbprints of silo certificates trusted without a chain to a trusted root (self-signed cluster certificates).
    /// A silo always trusts its own certificate's thumbprint.
    /// </summary>
    public IList<string> TrustedPeerThumbprints { get; set; } = [];

    /// <summary>Per-client fair sharing of the storage this silo commits to (OpenDHT).</summary>
    public FairAdmissionOptions Admission { get; set; } = new();

    /// <summary>Per-client and per-object request rates.</summary>
    public RateLimitOptions RateLimits { get; set; } = new();

    /// <summary>Whether silo-to-silo authentication is on.</summary>
    public bool HasClusterSecret => !string.IsNullOrEmpty(ClusterSecret);

    public void Validate()
    {
        if (ClusterProofMaxAge <= TimeSpan.Zero) throw new ArgumentException("Security.ClusterProofMaxAge must be positive.");
        if (KeyRefreshPeriod <= TimeSpan.Zero) throw new ArgumentException("Security.KeyRefreshPeriod must be positive.");
        if (KeyMissReadsPerSecond < 0) throw new ArgumentException("Security.KeyMissReadsPerSecond must not be negative.");
        if (Certificate is not null && !Certificate.HasPrivateKey)
            throw new ArgumentException("Security.Certificate needs its private key to serve TLS.");
        Admission.Validate();
        RateLimits.Validate();
    }
}
