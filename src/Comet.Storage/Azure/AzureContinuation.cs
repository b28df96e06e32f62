using System.Buffers.Text;
using System.Text;
using Comet.Abstractions.Errors;

namespace Comet.Storage.Azure;

/// <summary>
/// The provider's continuation token: Azure's <c>x-ms-continuation-NextPartitionKey</c> and
/// <c>-NextRowKey</c> (a position in key order, so it survives concurrent inserts and deletes),
/// wrapped so that tokens of other providers or garbage are rejected with BadRequest.
/// </summary>
internal static class AzureContinuation
{
    private const string Prefix = "az1.";

    public static string Encode(string nextPartitionKey, string? nextRowKey) =>
        string.Concat(Prefix, Base64Url.EncodeToString(Encoding.UTF8.GetBytes(nextPartitionKey)), ".",
            nextRowKey is null ? "" : Base64Url.EncodeToString(Encoding.UTF8.GetBytes(nextRowKey)));

    public static (string NextPartitionKey, string? NextRowKey) Decode(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (token.StartsWith(Prefix, StringComparison.Ordinal))
        {
            var body = token.AsSpan(Prefix.Length);
            var dot = body.IndexOf('.');
            if (dot > 0 && TryDecode(body[..dot], out var partitionKey))
            {
                if (dot == body.Length - 1)
                    return (partitionKey, null);
                if (TryDecode(body[(dot + 1)..], out var rowKey))
                    return (partitionKey, rowKey);
            }
        }
        throw new CometException(CometErrorCode.BadRequest,
            "The continuation token is not one this provider issued; pass back the token of the previous page unchanged, or null to start over.");
    }

    private static bool TryDecode(ReadOnlySpan<char> encoded, out string text)
    {
        text = "";
        if (!Base64Url.IsValid(encoded, out var length) || length == 0)
            return false;
        var bytes = new byte[length];
        if (!Base64Url.TryDecodeFromChars(encoded, bytes, out var written))
            return false;
        text = Encoding.UTF8.GetString(bytes, 0, written);
        return true;
    }
}
