using System.Security.Cryptography;
using System.Text;
using Comet.Abstractions.Errors;

namespace Comet.Storage.Azure;

/// <summary>
/// Maps any valid UTF-16 key to a PartitionKey/RowKey Azure Table storage accepts, reversibly and
/// preserving ordinal order, so range queries and paging behave as on SQLite and Memory.
/// </summary>
/// <remarks>
/// Azure forbids <c>/ \ # ?</c>, U+0000–U+001F and U+007F–U+009F in keys and caps each key at 1 KiB
/// (512 UTF-16 units). The code is applied per UTF-16 unit: a character that cannot appear as itself
/// becomes two characters, a "lead" (the allowed character just below it, which is escaped too)
/// and a selector from U+0100 upwards, so every code is ordered as its character and no code is a
/// prefix of another: ordinal order of encoded keys equals ordinal order of the keys.
/// Surrogate pairs are spelled with BMP characters too (lead U+D7FF), so encoded keys sort the same
/// whether the service compares UTF-16 units, code points or UTF-8 bytes.
/// The space (U+0020) never appears in an encoded key: it is the lowest allowed character, so
/// "key + space + suffix" sorts right after "key" and before every other key that extends it. Rows
/// larger than one entity use it to name their overflow entities (<see cref="OverflowRowKey"/>), and
/// over-long keys use it to mark their hashed form.
/// Keys longer than <see cref="MaxStoredLength"/> once encoded are stored as a prefix plus a SHA-256
/// of the whole key (the key itself is kept in a property): point operations stay exact, but such
/// keys sort among themselves by hash, not by their tail.
/// </remarks>
internal static class TableKeyCodec
{
    /// <summary>Azure's limit: 1 KiB of UTF-16 per key.</summary>
    public const int AzureMaxKeyLength = 512;

    /// <summary>Longest encoded key stored as itself; leaves room for an overflow suffix.</summary>
    public const int MaxStoredLength = AzureMaxKeyLength - OverflowSuffixLength;

    /// <summary>The encoded prefix kept in front of the hash of an over-long key.</summary>
    private const int HashedPrefixLength = 440;

    private const int OverflowSuffixLength = 2;
    private const char Space = ' ';
    private const char HashMarker = 'H';
    private const char Selector = '\u0100';
    private const char SurrogateLead = '\uD7FF';

    /// <summary>Each lead and the first and last character it stands in front of.</summary>
    private static readonly (char Lead, char First, char Last)[] Groups =
    [
        ('!', '\u0000', '!'),
        ('"', '"', '#'),
        ('$', '$', '%'),
        ('.', '.', '/'),
        ('>', '>', '?'),
        ('[', '[', '\\'),
        ('~', '~', '\u009F'),
    ];

    /// <summary>The form stored in Azure; over-long keys are shortened with a hash.</summary>
    public static string EncodeStored(string key, out bool hashed)
    {
        var encoded = Encode(key);
        hashed = encoded.Length > MaxStoredLength;
        if (!hashed)
            return encoded;
        // The prefix may end inside a two-character code: hashed keys are never decoded (the key is
        // kept in a property), and a cut code still sorts where the whole one would.
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        return string.Concat(encoded.AsSpan(0, HashedPrefixLength), " ", HashMarker.ToString(), Convert.ToHexString(hash));
    }

    /// <summary>The encoded form of a query bound (never shortened: bounds need not be storable).</summary>
    public static string Encode(string key)
    {
        var text = new StringBuilder(key.Length + 8);
        for (var i = 0; i < key.Length; i++)
        {
            var c = key[i];
            if (char.IsHighSurrogate(c) && i + 1 < key.Length && char.IsLowSurrogate(key[i + 1]))
            {
                // A pair becomes lead, high selector, low selector: all BMP, order kept.
                text.Append(SurrogateLead)
                    .Append((char)(Selector + 1 + (c - '\uD800')))
                    .Append((char)(Selector + (key[++i] - '\uDC00')));
            }
            else if (c == SurrogateLead)
            {
                text.Append(SurrogateLead).Append(Selector);
            }
            else if (FindGroup(c) is var (lead, first, _) && lead != '\0')
            {
                text.Append(lead).Append((char)(Selector + (c - first)));
            }
            else
            {
                text.Append(c);
            }
        }
        return text.ToString();
    }

    /// <summary>Reverses <see cref="Encode"/>; hashed keys cannot be decoded (their key is in a property).</summary>
    public static string Decode(string encoded)
    {
        var text = new StringBuilder(encoded.Length);
        for (var i = 0; i < encoded.Length; i++)
        {
            var c = encoded[i];
            if (c == Space)
                throw Corrupt(encoded);
            if (!IsLead(c))
            {
                text.Append(c);
                continue;
            }
            if (++i >= encoded.Length)
                throw Corrupt(encoded);
            var offset = encoded[i] - Selector;
            if (c == SurrogateLead)
            {
                if (offset == 0)
                {
                    text.Append(SurrogateLead);
                    continue;
                }
                if (offset is < 1 or > 0x400 || ++i >= encoded.Length || encoded[i] - Selector is < 0 or >= 0x400)
                    throw Corrupt(encoded);
                text.Append((char)('\uD800' + offset - 1)).Append((char)('\uDC00' + (encoded[i] - Selector)));
                continue;
            }
            var (_, first, last) = FindLead(c);
            if (offset < 0 || first + offset > last)
                throw Corrupt(encoded);
            text.Append((char)(first + offset));
        }
        return text.ToString();
    }

    /// <summary>The RowKey of the <paramref name="index"/>-th (1-based) overflow entity of a row.</summary>
    public static string OverflowRowKey(string storedRowKey, int index) =>
        string.Concat(storedRowKey, " ", ((char)('0' + index)).ToString());

    /// <summary>Smallest and largest RowKeys any overflow entity of the row can have (range query bounds).</summary>
    public static (string From, string To) OverflowRange(string storedRowKey) => (storedRowKey + " ", storedRowKey + "!");

    /// <summary>True for an overflow entity's RowKey (rows' own keys never end in space + digit).</summary>
    public static bool IsOverflowRowKey(string storedRowKey) =>
        storedRowKey.Length >= OverflowSuffixLength && storedRowKey[^2] == Space && char.IsAsciiDigit(storedRowKey[^1]);

    /// <summary>The most overflow entities a row may have (one digit).</summary>
    public const int MaxOverflowEntities = 9;

    private static bool IsLead(char c)
    {
        if (c == SurrogateLead)
            return true;
        foreach (var group in Groups)
        {
            if (group.Lead == c)
                return true;
        }
        return false;
    }

    private static (char Lead, char First, char Last) FindGroup(char c)
    {
        foreach (var group in Groups)
        {
            if (c >= group.First && c <= group.Last)
                return group;
        }
        return default;
    }

    private static (char Lead, char First, char Last) FindLead(char lead)
    {
        foreach (var group in Groups)
        {
            if (group.Lead == lead)
                return group;
        }
        return default;
    }

    private static CometException Corrupt(string encoded) =>
        new(CometErrorCode.Internal, $"Azure returned the key '{encoded}', which this provider did not write; is another program writing to the table?");
}
