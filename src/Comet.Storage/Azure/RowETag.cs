using System.Security.Cryptography;
using System.Text;

namespace Comet.Storage.Azure;

/// <summary>
/// The provider's ETags: Azure's ETag (<c>W/"datetime'...'"</c>, the write's timestamp) plus a
/// short digest of the row's keys. Azure gives every entity of one batch the same timestamp and so
/// the same ETag; the suffix makes an ETag name one version of one row, as on the other providers,
/// and lets a stale ETag of another row be refused without a round trip.
/// </summary>
internal static class RowETag
{
    private const char Separator = '#';
    private const int DigestBytes = 6;

    public static string Compose(string azureETag, RowLayout.StoredKeys keys) =>
        string.Concat(azureETag, Separator.ToString(), Digest(keys));

    /// <summary>The Azure ETag to send as If-Match, or null if <paramref name="etag"/> cannot be one of this row's.</summary>
    public static string? AzurePart(string etag, RowLayout.StoredKeys keys)
    {
        var at = etag.LastIndexOf(Separator);
        if (at < 0)
            return null;
        var azure = etag[..at];
        var looksLikeAzure = azure.StartsWith("W/\"datetime'", StringComparison.Ordinal) && azure.EndsWith("'\"", StringComparison.Ordinal);
        return looksLikeAzure && etag.AsSpan(at + 1).SequenceEqual(Digest(keys)) ? azure : null;
    }

    private static string Digest(RowLayout.StoredKeys keys)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(keys.PartitionKey + "\n" + keys.RowKey));
        return Convert.ToHexStringLower(hash.AsSpan(0, DigestBytes));
    }
}
