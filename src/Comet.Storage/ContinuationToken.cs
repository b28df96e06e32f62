using System.Buffers.Text;
using System.Text;
using Comet.Abstractions.Errors;

namespace Comet.Storage;

/// <summary>
/// The continuation token of the built-in providers: the (PartitionKey, RowKey) of the last row
/// returned. The next page starts strictly after that key, so rows inserted or deleted elsewhere
/// while a caller pages never make it skip or repeat a row (an offset would).
/// </summary>
internal static class ContinuationToken
{
    private const string Prefix = "c1.";
    private const char Separator = '.';

    public static string Encode(string partitionKey, string rowKey) =>
        string.Concat(Prefix, ToBase64Url(partitionKey), ".", ToBase64Url(rowKey));

    public static (string PartitionKey, string RowKey) Decode(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (token.StartsWith(Prefix, StringComparison.Ordinal))
        {
            var body = token.AsSpan(Prefix.Length);
            var dot = body.IndexOf(Separator);
            if (dot > 0
                && TryFromBase64Url(body[..dot], out var partitionKey)
                && TryFromBase64Url(body[(dot + 1)..], out var rowKey)
                && rowKey.Length > 0)
            {
                return (partitionKey, rowKey);
            }
        }
        throw new CometException(CometErrorCode.BadRequest,
            "The continuation token is not one this provider issued; pass back the token of the previous page unchanged, or null to start over.");
    }

    private static string ToBase64Url(string text) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(text));

    private static bool TryFromBase64Url(ReadOnlySpan<char> encoded, out string text)
    {
        text = "";
        if (encoded.IsEmpty || !Base64Url.IsValid(encoded, out var length))
            return false;
        var bytes = new byte[length];
        if (!Base64Url.TryDecodeFromChars(encoded, bytes, out var written))
            return false;
        try
        {
            text = StrictUtf8.GetString(bytes, 0, written);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
