using System.Security.Cryptography;

namespace Comet.Gateway.Security;

/// <summary>
/// The text form of an API key: <c>ck_&lt;id&gt;_&lt;secret&gt;</c>. The id (16 lower-case hex digits) names the key in
/// listings, logs and revocations and is not secret; the secret (32 random bytes, base64url) is shown once at creation
/// and only its hash is stored. The prefix makes leaked keys easy to find with secret scanners.
/// </summary>
public static class ApiKeyToken
{
    public const string Prefix = "ck_";

    /// <summary>Length of a key id in hex digits.</summary>
    public const int IdLength = 16;

    private const int SecretBytes = 32;

    /// <summary>A new random key id.</summary>
    public static string NewId() => RandomNumberGenerator.GetHexString(IdLength, lowercase: true);

    /// <summary>A new random secret (base64url, no padding).</summary>
    public static string NewSecret()
    {
        Span<byte> secret = stackalloc byte[SecretBytes];
        RandomNumberGenerator.Fill(secret);
        return Convert.ToBase64String(secret).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public static string Format(string id, string secret) => Prefix + id + "_" + secret;

    /// <summary>Splits a presented key into id and secret; false for anything not shaped like a key.</summary>
    public static bool TryParse(ReadOnlySpan<char> token, out string id, out ReadOnlySpan<char> secret)
    {
        id = "";
        secret = default;
        if (token.Length < Prefix.Length + IdLength + 2 || !token.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        var idPart = token.Slice(Prefix.Length, IdLength);
        if (token[Prefix.Length + IdLength] != '_') return false;
        foreach (var c in idPart)
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c)) return false;
        }
        secret = token[(Prefix.Length + IdLength + 1)..];
        if (secret.Length > 256) return false;
        id = idPart.ToString();
        return true;
    }

    /// <summary>Whether a string is shaped like a key id (for admin routes).</summary>
    public static bool IsId(string id)
    {
        if (id.Length != IdLength) return false;
        foreach (var c in id)
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c)) return false;
        }
        return true;
    }
}
