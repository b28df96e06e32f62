using System.Globalization;
using Comet.Abstractions.Errors;

namespace Comet.Storage.Tests.Contract;

public abstract partial class StorageProviderContract
{
    private static string Key(int i) => i.ToString("D5", CultureInfo.InvariantCulture);

    /// <summary>Writes rows through batches (fast on every provider) and returns their keys in ordinal order.</summary>
    private static async Task<List<(string PartitionKey, string RowKey)>> FillAsync(IStorageTable table, int partitions, int rowsPerPartition)
    {
        var keys = new List<(string, string)>();
        for (var p = 0; p < partitions; p++)
        {
            var partition = "part-" + Key(p);
            for (var start = 0; start < rowsPerPartition; start += 100)
            {
                var ops = new List<RowOperation>();
                for (var r = start; r < Math.Min(start + 100, rowsPerPartition); r++)
                {
                    ops.Add(RowOperation.Write(Row(partition, Key(r), partition + "/" + Key(r))));
                    keys.Add((partition, Key(r)));
                }
                await table.BatchAsync(partition, ops);
            }
        }
        keys.Sort((a, b) => CompareKeys(a, b));
        return keys;
    }

    private static int CompareKeys((string PartitionKey, string RowKey) a, (string PartitionKey, string RowKey) b)
    {
        var order = string.CompareOrdinal(a.PartitionKey, b.PartitionKey);
        return order != 0 ? order : string.CompareOrdinal(a.RowKey, b.RowKey);
    }

    /// <summary>Pages to the end by hand, checking every page's size, and returns all rows in the order received.</summary>
    private static async Task<List<StorageRow>> PageThroughAsync(IStorageTable table, RowQuery query, int pageSize)
    {
        var rows = new List<StorageRow>();
        string? continuation = null;
        var pages = 0;
        do
        {
            var page = await table.QueryAsync(query, continuation, pageSize);
            Assert.True(page.Rows.Count <= pageSize, $"page {pages} has {page.Rows.Count} rows, more than the {pageSize} asked for");
            rows.AddRange(page.Rows);
            continuation = page.Continuation;
            Assert.True(++pages <= 10_000, "paging does not end");
        }
        while (continuation is not null);
        return rows;
    }

    private static void AssertSameKeysInOrder(IReadOnlyList<(string PartitionKey, string RowKey)> expected, IReadOnlyList<StorageRow> rows)
    {
        Assert.Equal(expected.Count, rows.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].PartitionKey, rows[i].PartitionKey);
            Assert.Equal(expected[i].RowKey, rows[i].RowKey);
        }
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(7)]
    public async Task Paging_one_partition_of_2500_rows_returns_every_row_once_in_order(int pageSize)
    {
        var table = await NewTableAsync();
        var keys = await FillAsync(table, partitions: 1, rowsPerPartition: 2500);

        var rows = await PageThroughAsync(table, RowQuery.Partition(keys[0].PartitionKey), pageSize);

        AssertSameKeysInOrder(keys, rows);
        AssertData(keys[1234].PartitionKey + "/" + keys[1234].RowKey, rows[1234]);
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(7)]
    public async Task Paging_2500_rows_across_partitions_returns_every_row_once_in_order(int pageSize)
    {
        var table = await NewTableAsync();
        var keys = await FillAsync(table, partitions: 25, rowsPerPartition: 100);

        var rows = await PageThroughAsync(table, RowQuery.All, pageSize);

        AssertSameKeysInOrder(keys, rows);
    }

    [Fact]
    public async Task Paging_a_partition_does_not_leak_into_neighbouring_partitions()
    {
        var table = await NewTableAsync();
        var keys = await FillAsync(table, partitions: 3, rowsPerPartition: 30);
        var middle = keys.Where(k => k.PartitionKey == "part-00001").ToList();

        var rows = await PageThroughAsync(table, RowQuery.Partition("part-00001"), 7);

        AssertSameKeysInOrder(middle, rows);
    }

    [Fact]
    public async Task Full_pages_have_exactly_the_page_size_and_the_last_page_ends_with_no_continuation()
    {
        var table = await NewTableAsync();
        await FillAsync(table, partitions: 1, rowsPerPartition: 20);

        var first = await table.QueryAsync(RowQuery.All, null, 7);
        var second = await table.QueryAsync(RowQuery.All, first.Continuation, 7);
        var third = await table.QueryAsync(RowQuery.All, second.Continuation, 7);

        Assert.Equal(7, first.Rows.Count);
        Assert.Equal(7, second.Rows.Count);
        Assert.Equal(6, third.Rows.Count);
        Assert.NotNull(first.Continuation);
        Assert.Null(third.Continuation);
    }

    [Fact]
    public async Task Query_of_an_empty_table_or_partition_returns_no_rows_and_no_continuation()
    {
        var table = await NewTableAsync();
        await table.WriteAsync(Row("other", "r", "x"), WriteCondition.Upsert);
        var empty = await NewTableAsync();

        var ofTable = await empty.QueryAsync(RowQuery.All, null, 10);
        var ofPartition = await table.QueryAsync(RowQuery.Partition("absent"), null, 10);

        Assert.Empty(ofTable.Rows);
        Assert.Null(ofTable.Continuation);
        Assert.Empty(ofPartition.Rows);
        Assert.Null(ofPartition.Continuation);
    }

    [Fact]
    public async Task RowKey_range_includes_its_start_and_excludes_its_end()
    {
        var table = await NewTableAsync();
        foreach (var rk in new[] { "a", "b", "b\u0000", "ba", "c", "cz", "d" })
            await table.WriteAsync(Row("p", rk, rk), WriteCondition.Upsert);

        var between = await ReadAllAsync(table, new RowQuery("p", "b", "c"), 2);
        var fromOnly = await ReadAllAsync(table, new RowQuery("p", RowKeyFrom: "c"));
        var toOnly = await ReadAllAsync(table, new RowQuery("p", RowKeyTo: "b\u0000"));
        var fromBetweenKeys = await ReadAllAsync(table, new RowQuery("p", "bb", "zz"));
        var emptyRange = await ReadAllAsync(table, new RowQuery("p", "c", "c"));
        var reversed = await ReadAllAsync(table, new RowQuery("p", "d", "a"));

        Assert.Equal(["b", "b\u0000", "ba"], between.Select(r => r.RowKey));
        Assert.Equal(["c", "cz", "d"], fromOnly.Select(r => r.RowKey));
        Assert.Equal(["a", "b"], toOnly.Select(r => r.RowKey));
        Assert.Equal(["c", "cz", "d"], fromBetweenKeys.Select(r => r.RowKey));
        Assert.Empty(emptyRange);
        Assert.Empty(reversed);
    }

    [Fact]
    public async Task RowKey_range_without_a_partition_applies_to_every_partition()
    {
        var table = await NewTableAsync();
        foreach (var pk in new[] { "p1", "p2", "p3" })
        {
            foreach (var rk in new[] { "a", "m", "n", "z" })
                await table.WriteAsync(Row(pk, rk, pk + rk), WriteCondition.Upsert);
        }

        var rows = await ReadAllAsync(table, new RowQuery(null, "m", "z"), pageSize: 2);

        Assert.Equal(["p1m", "p1n", "p2m", "p2n", "p3m", "p3n"],
            rows.Select(r => r.PartitionKey + r.RowKey));
    }

    [Fact]
    public async Task Paging_stays_exact_while_rows_are_inserted_and_deleted_concurrently()
    {
        var table = await NewTableAsync();
        var originals = new List<string>();
        for (var i = 0; i < 200; i += 2)
        {
            originals.Add(Key(i));
            await table.WriteAsync(Row("p", Key(i), "original"), WriteCondition.Upsert);
        }

        var seen = new List<StorageRow>();
        string? continuation = null;
        var round = 0;
        do
        {
            var page = await table.QueryAsync(RowQuery.Partition("p"), continuation, 10);
            seen.AddRange(page.Rows);
            continuation = page.Continuation;
            // Between pages, other writers insert rows before and after the cursor (odd keys) and
            // delete a row already returned: no original row may be skipped or repeated.
            round++;
            await table.WriteAsync(Row("p", Key(1 + (2 * round) % 200), "behind or ahead"), WriteCondition.Upsert);
            await table.WriteAsync(Row("p", Key(199 - (2 * round) % 200), "behind or ahead"), WriteCondition.Upsert);
            if (page.Rows.Count > 0)
                await table.DeleteAsync("p", page.Rows[0].RowKey);
        }
        while (continuation is not null);

        var seenKeys = seen.Select(r => r.RowKey).ToList();
        Assert.Equal(seenKeys.Order(StringComparer.Ordinal), seenKeys);
        Assert.Equal(seenKeys.Count, seenKeys.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(originals, seen.Where(r => System.Text.Encoding.UTF8.GetString(r.Data.Span) == "original").Select(r => r.RowKey));
    }

    [Fact]
    public async Task A_continuation_token_that_was_not_issued_is_a_bad_request()
    {
        var table = await NewTableAsync();
        await table.WriteAsync(Row("p", "r", "x"), WriteCondition.Upsert);

        await AssertFails<CometException>(CometErrorCode.BadRequest,
            () => table.QueryAsync(RowQuery.All, "not a token", 10).AsTask());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(1001)]
    public async Task Page_size_outside_1_to_MaxPageSize_is_a_bad_request(int pageSize)
    {
        var table = await NewTableAsync();

        await AssertFails<CometException>(CometErrorCode.BadRequest,
            () => table.QueryAsync(RowQuery.All, null, pageSize).AsTask());
    }

    [Fact]
    public async Task QueryAllAsync_streams_every_row_across_pages()
    {
        var table = await NewTableAsync();
        var keys = await FillAsync(table, partitions: 2, rowsPerPartition: 150);

        var rows = await ReadAllAsync(table, RowQuery.All, pageSize: 100);

        AssertSameKeysInOrder(keys, rows);
    }
}
