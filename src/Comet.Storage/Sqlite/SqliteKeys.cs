using System.Text;

namespace Comet.Storage.Sqlite;

/// <summary>
/// Keys are stored as UTF-16 big-endian BLOBs. SQLite compares BLOBs with memcmp, and memcmp of
/// UTF-16BE bytes orders exactly like <see cref="string.CompareOrdinal(string, string)"/> (code
/// unit by code unit, shorter prefix first), so the primary key index gives the contract's order
/// with no custom collation (which would call back into .NET on every comparison). TEXT would
/// sort by UTF-8 bytes, i.e. by code point, which puts U+FF01 before U+1F600 where ordinal puts it
/// after. BLOBs also keep U+0000 intact.
/// </summary>
internal static class SqliteKeys
{
    private static readonly UnicodeEncoding Utf16BigEndian = new(bigEndian: true, byteOrderMark: false, throwOnInvalidBytes: true);

    public static byte[] Encode(string key) => Utf16BigEndian.GetBytes(key);

    public static string Decode(byte[] bytes) => Utf16BigEndian.GetString(bytes);

    /// <summary>The smallest BLOB greater than <paramref name="key"/>: "strictly after" as an inclusive bound.</summary>
    public static byte[] Successor(byte[] key)
    {
        var next = new byte[key.Length + 1];
        key.CopyTo(next, 0);
        return next;
    }

    public static int Compare(byte[] a, byte[] b) => a.AsSpan().SequenceCompareTo(b);
}
