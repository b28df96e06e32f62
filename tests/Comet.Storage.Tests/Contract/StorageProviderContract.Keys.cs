using Comet.Abstractions.Errors;

namespace Comet.Storage.Tests.Contract;

public abstract partial class StorageProviderContract
{
    /// <summary>
    /// Keys that break naive providers: Azure's forbidden characters (/ \ # ? and controls), URL and
    /// SQL metacharacters, U+0000, prefixes of each other, surrogate pairs next to high BMP
    /// characters (UTF-16 order puts U+1F600 before U+FF01; UTF-8 order puts it after), and the
    /// longest key allowed.
    /// </summary>
    public static IReadOnlyList<string> AwkwardKeys()
    {
        var keys = new List<string>
        {
            "/", "\\", "#", "?", "%", "'", "\"", "\t", "\n", "\r\n", "%2F", "%00", "&", "+", "=", ";", "*", ".", "..", " ",
            " leading", "trailing ", "a/b\\c#d?e%f'g\"h", "O'Brien\"; DROP TABLE comet_rows; --", "<xml/>", "{\"json\":1}",
            "a", "a\u0000", "a\u0000\u0000", "\u0000", "\u0000a", "A", "Z", "z", "~", "\u007F",
            "😀", "a😀b", "😀😀", "漢字", "日本語のキー", "\uFF01", "\uFFFD", "\uE000", "\uD7FF", "é", "e\u0301", "\u0130",
            new string('x', 1024),
            string.Concat(Enumerable.Repeat("😀", 512)),
            new string('\u0001', 1024),
        };
        for (var c = 0x00; c <= 0x1F; c++)
        {
            keys.Add(((char)c).ToString());
            keys.Add("k" + (char)c + "k");
        }
        for (var c = 0x7F; c <= 0x9F; c++)
        {
            keys.Add(((char)c).ToString());
            keys.Add("k" + (char)c + "k");
        }
        return keys.Distinct(StringComparer.Ordinal).ToList();
    }

    [Fact]
    public async Task Awkward_row_keys_round_trip_exactly_and_sort_ordinally()
    {
        var table = await NewTableAsync();
        var keys = AwkwardKeys();
        for (var i = 0; i < keys.Count; i++)
            await table.WriteAsync(new StorageRow("p", keys[i], BitConverter.GetBytes(i)), WriteCondition.Upsert);

        for (var i = 0; i < keys.Count; i++)
        {
            var row = await table.ReadAsync("p", keys[i]);
            Assert.True(row is not null, $"key #{i} did not read back");
            Assert.Equal(keys[i], row.RowKey);
            Assert.Equal(i, BitConverter.ToInt32(row.Data.Span));
        }
        var listed = await ReadAllAsync(table, RowQuery.Partition("p"), pageSize: 10);
        Assert.Equal(keys.Order(StringComparer.Ordinal), listed.Select(r => r.RowKey));
    }

    [Fact]
    public async Task Awkward_partition_keys_round_trip_exactly_and_sort_ordinally()
    {
        var table = await NewTableAsync();
        var keys = AwkwardKeys();
        for (var start = 0; start < keys.Count; start += 50)
        {
            // Batches too must carry awkward partition keys.
            await Task.WhenAll(keys.Skip(start).Take(50).Select(pk =>
                table.BatchAsync(pk, [RowOperation.Write(Row(pk, "r1", "one")), RowOperation.Write(Row(pk, "r2", "two"))]).AsTask()));
        }

        foreach (var pk in keys)
        {
            AssertData("one", await table.ReadAsync(pk, "r1"));
            var partition = await ReadAllAsync(table, RowQuery.Partition(pk));
            Assert.Equal(["r1", "r2"], partition.Select(r => r.RowKey));
            Assert.All(partition, r => Assert.Equal(pk, r.PartitionKey));
        }
        var listed = await ReadAllAsync(table, RowQuery.All, pageSize: 7);
        Assert.Equal(keys.Order(StringComparer.Ordinal).SelectMany(pk => new[] { (pk, "r1"), (pk, "r2") }),
            listed.Select(r => (r.PartitionKey, r.RowKey)));
    }

    [Fact]
    public async Task Awkward_keys_work_in_conditional_writes_deletes_and_ranges()
    {
        var table = await NewTableAsync();
        const string pk = "p/\u0000#?";
        var etag = await table.WriteAsync(Row(pk, "k\u0000\u001F", "one"), WriteCondition.InsertOnly);
        await table.WriteAsync(Row(pk, "k\u0000\u001F", "two"), WriteCondition.IfMatch(etag));
        await table.WriteAsync(Row(pk, "k\u0000", "range start"), WriteCondition.Upsert);
        await table.WriteAsync(Row(pk, "k\u0001", "range end"), WriteCondition.Upsert);

        var range = await ReadAllAsync(table, new RowQuery(pk, "k\u0000", "k\u0001"));
        Assert.True(await table.DeleteAsync(pk, "k\u0000\u001F"));

        Assert.Equal(["k\u0000", "k\u0000\u001F"], range.Select(r => r.RowKey));
        Assert.Null(await table.ReadAsync(pk, "k\u0000\u001F"));
    }

    // Passed to the theory by index: xunit serialises string arguments, which would replace
    // the lone surrogates with U+FFFD and so make the keys valid.
    private static readonly string[] InvalidKeyList =
    [
        "",
        new string('x', 1025),
        "lone high \uD83D surrogate",
        "lone low \uDE00 surrogate",
        "ends in a high surrogate \uD83D",
        "reversed pair \uDE00\uD83D",
    ];

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public async Task Invalid_keys_are_rejected_with_BadKey_and_nothing_is_written(int which)
    {
        var key = InvalidKeyList[which];
        var table = await NewTableAsync();

        await AssertFails<CometException>(CometErrorCode.BadKey, () => table.WriteAsync(Row(key, "r", "x"), WriteCondition.Upsert).AsTask());
        await AssertFails<CometException>(CometErrorCode.BadKey, () => table.WriteAsync(Row("p", key, "x"), WriteCondition.Upsert).AsTask());
        await AssertFails<CometException>(CometErrorCode.BadKey, () => table.ReadAsync(key, "r").AsTask());
        await AssertFails<CometException>(CometErrorCode.BadKey, () => table.ReadAsync("p", key).AsTask());
        await AssertFails<CometException>(CometErrorCode.BadKey, () => table.DeleteAsync("p", key).AsTask());
        await AssertFails<CometException>(CometErrorCode.BadKey,
            () => table.BatchAsync("p", [RowOperation.Write(Row("p", key, "x"))]).AsTask());

        Assert.Empty(await ReadAllAsync(table, RowQuery.All));
    }
}
