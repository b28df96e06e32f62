using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Comet.Storage.Azure;

/// <summary>
/// The Table service's "SharedKey" scheme: HMAC-SHA256 with the account key over
/// <c>VERB\nContent-MD5\nContent-Type\nDate\nCanonicalizedResource</c>, where Date is the
/// <c>x-ms-date</c> value and the canonicalized resource is "/" + account + the encoded URI path
/// (+ "?comp=..." when the request names a component). Kept apart from the HTTP policy so the
/// tests can check it against the documentation's strings.
/// </summary>
public sealed class SharedKeySignature
{
    private readonly byte[] key;

    /// <summary>A signer for <paramref name="accountName"/> with its Base64 <paramref name="accountKey"/>.</summary>
    public SharedKeySignature(string accountName, string accountKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(accountName);
        ArgumentException.ThrowIfNullOrEmpty(accountKey);
        AccountName = accountName;
        key = Convert.FromBase64String(accountKey);
    }

    /// <summary>The storage account the key belongs to.</summary>
    public string AccountName { get; }

    /// <summary>"/" + account + path (+ "?comp=" + value). For path-style endpoints (Azurite) the path already starts with the account, so it appears twice.</summary>
    public string CanonicalizedResource(string encodedPath, string? comp = null)
    {
        var resource = "/" + AccountName + (encodedPath.Length == 0 ? "/" : encodedPath);
        return comp is null ? resource : resource + "?comp=" + comp;
    }

    /// <summary>The string the Table service signs.</summary>
    public static string StringToSign(string verb, string? contentMd5, string? contentType, string date, string canonicalizedResource) =>
        string.Join('\n', verb.ToUpperInvariant(), contentMd5 ?? "", contentType ?? "", date, canonicalizedResource);

    /// <summary>Base64(HMAC-SHA256(key, UTF-8(stringToSign))).</summary>
    public string Sign(string stringToSign) =>
        Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign)));

    /// <summary>The Authorization header value: <c>SharedKey account:signature</c>.</summary>
    public string AuthorizationHeader(string stringToSign) => $"SharedKey {AccountName}:{Sign(stringToSign)}";

    /// <summary>The RFC 1123 date format the service expects in <c>x-ms-date</c>.</summary>
    public static string FormatDate(DateTimeOffset time) => time.UtcDateTime.ToString("R", CultureInfo.InvariantCulture);
}
