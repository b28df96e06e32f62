using Comet.Storage.Azure;
using Comet.Storage.Tests.Contract;

namespace Comet.Storage.Tests.Azure;

/// <summary>The key escaping: allowed by Azure, reversible, and ordinal order preserved.</summary>
public sealed class TableKeyCodecTests
{
    private static readonly char[] Forbidden = ['/', '\\', '#', '?'];

    private static bool AllowedByAzure(string key) =>
        key.Length <= TableKeyCodec.AzureMaxKeyLength
        && !key.Any(c => c < 0x20 || (c >= 0x7F && c <= 0x9F) || Forbidden.Contains(c) || char.IsSurrogate(c));

    private static List<string> Keys()
    {
        var keys = StorageProviderContract.AwkwardKeys().ToList();
        for (var c = 0; c < 0x200; c++)
            keys.Add("k" + (char)c);
        keys.AddRange(["\uD7FF", "\uD7FF\uD7FF", "\uD83D\uDE00", "\uDBFF\uDFFF", "\uD800\uDC00", "\uE000", "\uFFFF", "!", "!!", "\"", "$%", "./", ">?", "[\\", "~\u007F"]);
        return keys.Distinct(StringComparer.Ordinal).ToList();
    }

    [Fact]
    public void Every_key_encodes_to_characters_Azure_allows_and_decodes_back()
    {
        foreach (var key in Keys())
        {
            var stored = TableKeyCodec.EncodeStored(key, out var hashed);
            Assert.True(AllowedByAzure(stored), $"'{key}' encodes to a key Azure refuses");
            if (!hashed)
                Assert.Equal(key, TableKeyCodec.Decode(stored));
        }
    }

    [Fact]
    public void Encoding_keeps_ordinal_order_in_utf16_code_point_and_utf8_order()
    {
        var keys = Keys().Where(k => !(TableKeyCodec.Encode(k).Length > TableKeyCodec.MaxStoredLength)).ToList();
        var expected = keys.Order(StringComparer.Ordinal).Select(TableKeyCodec.Encode).ToList();

        // Encoded keys hold no surrogates, so all three orders agree: whichever the service uses, order holds.
        Assert.Equal(expected, expected.Order(StringComparer.Ordinal));
        Assert.Equal(expected, expected.OrderBy(k => k.EnumerateRunes().Select(r => r.Value).ToArray(), new SequenceComparer()));
        Assert.Equal(expected, expected.OrderBy(k => System.Text.Encoding.UTF8.GetBytes(k), new ByteComparer()));
    }

    [Fact]
    public void Overflow_entities_sort_between_their_row_and_any_longer_key()
    {
        foreach (var key in new[] { "a", "a\u0000", "😀", "x/y" })
        {
            var stored = TableKeyCodec.EncodeStored(key, out _);
            var overflow = TableKeyCodec.OverflowRowKey(stored, 1);
            Assert.True(string.CompareOrdinal(stored, overflow) < 0);
            foreach (var suffix in new[] { "\u0000", " ", "!", "a" })
                Assert.True(string.CompareOrdinal(overflow, TableKeyCodec.Encode(key + suffix)) < 0, $"'{key}' + U+{(int)suffix[0]:X4}");
            Assert.True(TableKeyCodec.IsOverflowRowKey(overflow));
            Assert.False(TableKeyCodec.IsOverflowRowKey(stored));
        }
    }

    [Fact]
    public void Keys_too_long_for_Azure_are_stored_as_a_prefix_and_a_hash_that_differ_per_key()
    {
        var a = TableKeyCodec.EncodeStored(new string('\u0001', 1024), out var hashedA);
        var b = TableKeyCodec.EncodeStored(new string('\u0001', 1023) + "\u0002", out var hashedB);

        Assert.True(hashedA && hashedB);
        Assert.NotEqual(a, b);
        Assert.True(a.Length <= TableKeyCodec.MaxStoredLength && b.Length <= TableKeyCodec.MaxStoredLength);
        Assert.False(TableKeyCodec.IsOverflowRowKey(a));
    }

    private sealed class SequenceComparer : IComparer<int[]>
    {
        public int Compare(int[]? x, int[]? y) => x!.AsSpan().SequenceCompareTo(y);
    }

    private sealed class ByteComparer : IComparer<byte[]>
    {
        public int Compare(byte[]? x, byte[]? y) => x!.AsSpan().SequenceCompareTo(y);
    }
}
