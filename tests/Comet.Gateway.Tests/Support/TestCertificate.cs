using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Comet.Gateway.Tests.Support;

/// <summary>A self-signed certificate for loopback (server and client authentication), and its PKCS#12 file.</summary>
public sealed class TestCertificate : IDisposable
{
    public const string Password = "comet-test";

    private TestCertificate(X509Certificate2 certificate, string path)
    {
        Certificate = certificate;
        Path = path;
    }

    public X509Certificate2 Certificate { get; }

    /// <summary>The PKCS#12 file (with the private key, protected by <see cref="Password"/>).</summary>
    public string Path { get; }

    public static TestCertificate Create(string subject)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest($"CN={subject}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var pfx = ephemeral.Export(X509ContentType.Pfx, Password);
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"comet-{subject}-{Guid.NewGuid():N}.pfx");
        File.WriteAllBytes(path, pfx);
        return new TestCertificate(X509CertificateLoader.LoadPkcs12(pfx, Password), path);
    }

    public void Dispose()
    {
        Certificate.Dispose();
        try
        {
            File.Delete(Path);
        }
        catch (IOException)
        {
        }
    }
}
