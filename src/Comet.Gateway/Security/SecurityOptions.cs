using System.Security.Cryptography.X509Certificates;

namespace Comet.Gateway.Security;

/// <summary>
/// How a silo authenticates clients (API keys per namespace) and shares its storage and request
/// rate between them, and its TLS certificate. Bound from <c>Comet:Security</c>. Every default
/// keeps a dev cluster open on loopback and never throttles tests or benchmarks.
/// </summary>
public sealed class SecurityOptions
{
    /// <summary>
    /// Server-side pepper for API key hashes: when set, keys are stored as HMAC-SHA256(pepper, secret) so a copy of
    /// the key table alone cannot even be checked against guesses. Every silo must use the same pepper. Null: SHA-256.
    /// </summary>
    public string? KeyPepper { get; set; }

    /// <summary>How often each silo re-reads the API keys; a revocation takes effect everywhere within this time. Default 2 s.</summary>
    public TimeSpan KeyRefreshPeriod { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// A key id this silo has not seen yet (a key just created on another silo) is looked up at once, at most this
    /// many times a second, so random ids cannot each turn into a lookup. Default 20.
    /// </summary>
    public double KeyMissReadsPerSecond { get; set; } = 20;

    /// <summary>
    /// Certificate (with its private key) for TLS between silos, on the gateway and on HTTP. Null (default): plain
    /// TCP and HTTP. Set it in code, or through <see cref="CertificatePath"/>.
    /// </summary>
    public X509Certificate2? Certificate { get; set; }

    /// <summary>PKCS#12 file to load <see cref="Certificate"/> from when that is not set.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>Password of <see cref="CertificatePath"/>.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>
    /// The hand-written grid's shared secret between silos. The Orleans grid has no such handshake: silos authenticate
    /// each other with TLS and the cluster certificate (<see cref="CertificatePath"/>). Kept only so that a silo given
    /// one refuses to start instead of running without the protection its operator asked for.
    /// </summary>
    public string? ClusterSecret { get; set; }

    /// <summary>Per-client fair sharing of the storage this silo commits to (OpenDHT).</summary>
    public FairAdmissionOptions Admission { get; set; } = new();

    /// <summary>Per-client and per-object request rates.</summary>
    public RateLimitOptions RateLimits { get; set; } = new();

    /// <summary>The certificate to serve TLS with, loaded once; null when TLS is off.</summary>
    public X509Certificate2? LoadCertificate()
    {
        var certificate = Certificate
            ?? (string.IsNullOrEmpty(CertificatePath) ? null : X509CertificateLoader.LoadPkcs12FromFile(CertificatePath, CertificatePassword));
        if (certificate is { HasPrivateKey: false })
            throw new ArgumentException("The TLS certificate needs its private key.");
        Certificate = certificate;
        return certificate;
    }

    public void Validate()
    {
        if (!string.IsNullOrEmpty(ClusterSecret))
            throw new ArgumentException("Comet:Silo:Security:ClusterSecret (--cluster-secret) is not supported on the Orleans grid and would protect nothing; " +
                "silos authenticate each other with TLS: give every silo the cluster certificate (Comet:Silo:Security:CertificatePath, --tls-certificate) and drop the secret.");
        if (KeyRefreshPeriod <= TimeSpan.Zero) throw new ArgumentException("Comet:Security:KeyRefreshPeriod must be positive.");
        if (KeyMissReadsPerSecond < 0) throw new ArgumentException("Comet:Security:KeyMissReadsPerSecond must not be negative.");
        Admission.Validate();
        RateLimits.Validate();
    }
}
