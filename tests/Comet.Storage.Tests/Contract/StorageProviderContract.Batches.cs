using System.Globalization;
using Comet.Abstractions.Errors;

namespace Comet.Storage.Tests.Contract;

public abstract partial class StorageProviderContract
{
    private static string Numbered(int i) => "r" + i.ToString("D3", CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_batch_of_100_writes_commits_every_row_and_returns_their_etags()
    {
        var table = await NewTableAsync();
        var ops = Enumerable.Range(0, 100).Select(i => RowOperation.Write(Row("p", Numbered(i), "v" + i), WriteCondition.InsertOnly)).ToList();

        var etags = await table.BatchAsync("p", ops);

        Assert.Equal(100, etags.Count);
        Assert.Equal(100, etags.Distinct().Count());
        var rows = await ReadAllAsync(table, RowQuery.Partition("p"));
        Assert.Equal(100, rows.Count);
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(Numbered(i), rows[i].RowKey);
            AssertData("v" + i, rows[i]);
            Assert.Equal(etags[i], rows[i].ETag);
        }
    }

    [Fact]
    public async Task A_batch_with_one_failing_condition_changes_nothing()
    {
        var table = await NewTableAsync();
        var existing = new Dictionary<string, string>();
        for (var i = 0; i < 10; i++)
            existing[Numbered(i)] = await table.WriteAsync(Row("p", Numbered(i), "before"), WriteCondition.Upsert);
        existing["extra"] = await table.WriteAsync(Row("p", "extra", "before"), WriteCondition.Upsert);
        var stale = existing[Numbered(5)];
        existing[Numbered(5)] = await table.WriteAsync(Row("p", Numbered(5), "before"), WriteCondition.Upsert);

        var ops = new List<RowOperation>();
        for (var i = 0; i < 10; i++)
        {
            ops.Add(i == 5
                ? RowOperation.Write(Row("p", Numbered(i), "after"), WriteCondition.IfMatch(stale))
                : RowOperation.Write(Row("p", Numbered(i), "after"), WriteCondition.IfMatch(existing[Numbered(i)])));
        }
        for (var i = 10; i < 57; i++)
            ops.Add(RowOperation.Write(Row("p", Numbered(i), "new"), WriteCondition.InsertOnly));
        ops.Add(RowOperation.Delete("extra"));

        var error = await AssertConflict(() => table.BatchAsync("p", ops).AsTask());

        Assert.Equal(5, error.OperationIndex);
        var rows = await ReadAllAsync(table, RowQuery.Partition("p"));
        Assert.Equal(11, rows.Count);
        Assert.All(rows, r => AssertData("before", r));
        Assert.All(rows, r => Assert.Equal(existing[r.RowKey], r.ETag));
    }

    [Fact]
    public async Task A_batch_whose_last_operation_fails_changes_nothing()
    {
        var table = await NewTableAsync();
        await table.WriteAsync(Row("p", "taken", "before"), WriteCondition.Upsert);
        var ops = Enumerable.Range(0, 99).Select(i => RowOperation.Write(Row("p", Numbered(i), "new"))).ToList();
        ops.Add(RowOperation.Write(Row("p", "taken", "after"), WriteCondition.InsertOnly));

        var error = await AssertConflict(() => table.BatchAsync("p", ops).AsTask());

        Assert.Equal(99, error.OperationIndex);
        AssertData("before", Assert.Single(await ReadAllAsync(table, RowQuery.All)));
    }

    [Fact]
    public async Task A_batch_of_more_than_100_operations_is_a_bad_request_and_changes_nothing()
    {
        var table = await NewTableAsync();
        var ops = Enumerable.Range(0, 101).Select(i => RowOperation.Write(Row("p", Numbered(i), "x"))).ToList();

        await AssertFails<CometException>(CometErrorCode.BadRequest, () => table.BatchAsync("p", ops).AsTask());

        Assert.Empty(await ReadAllAsync(table, RowQuery.All));
    }

    [Fact]
    public async Task A_batch_mixing_writes_and_deletes_applies_all_and_returns_null_for_deletes()
    {
        var table = await NewTableAsync();
        var doomed = await table.WriteAsync(Row("p", "doomed", "x"), WriteCondition.Upsert);
        await table.WriteAsync(Row("p", "also-doomed", "x"), WriteCondition.Upsert);
        var kept = await table.WriteAsync(Row("p", "kept", "old"), WriteCondition.Upsert);

        var etags = await table.BatchAsync("p",
        [
            RowOperation.Delete("doomed", doomed),
            RowOperation.Write(Row("p", "kept", "new"), WriteCondition.IfMatch(kept)),
            RowOperation.Delete("also-doomed"),
            RowOperation.Write(Row("p", "fresh", "new"), WriteCondition.InsertOnly),
        ]);

        Assert.Null(etags[0]);
        Assert.Null(etags[2]);
        var rows = await ReadAllAsync(table, RowQuery.All);
        Assert.Equal(["fresh", "kept"], rows.Select(r => r.RowKey));
        Assert.Equal(etags[3], rows[0].ETag);
        Assert.Equal(etags[1], rows[1].ETag);
        Assert.All(rows, r => AssertData("new", r));
    }

    [Fact]
    public async Task A_batch_deleting_a_missing_row_fails_and_changes_nothing()
    {
        var table = await NewTableAsync();

        var error = await AssertConflict(() => table.BatchAsync("p",
        [
            RowOperation.Write(Row("p", "a", "x")),
            RowOperation.Delete("absent"),
        ]).AsTask());

        Assert.Equal(1, error.OperationIndex);
        Assert.Empty(await ReadAllAsync(table, RowQuery.All));
    }

    [Fact]
    public async Task A_batch_deleting_with_a_stale_etag_fails_and_changes_nothing()
    {
        var table = await NewTableAsync();
        var stale = await table.WriteAsync(Row("p", "a", "one"), WriteCondition.Upsert);
        await table.WriteAsync(Row("p", "a", "two"), WriteCondition.Upsert);

        await AssertConflict(() => table.BatchAsync("p",
        [
            RowOperation.Write(Row("p", "b", "x")),
            RowOperation.Delete("a", stale),
        ]).AsTask());

        AssertData("two", Assert.Single(await ReadAllAsync(table, RowQuery.All)));
    }

    [Fact]
    public async Task A_batch_with_a_row_of_another_partition_is_a_bad_request()
    {
        var table = await NewTableAsync();

        await AssertFails<CometException>(CometErrorCode.BadRequest, () => table.BatchAsync("p",
        [
            RowOperation.Write(Row("p", "a", "x")),
            RowOperation.Write(Row("q", "b", "x")),
        ]).AsTask());

        Assert.Empty(await ReadAllAsync(table, RowQuery.All));
    }

    [Fact]
    public async Task A_batch_touching_one_row_twice_is_a_bad_request()
    {
        var table = await NewTableAsync();

        await AssertFails<CometException>(CometErrorCode.BadRequest, () => table.BatchAsync("p",
        [
            RowOperation.Write(Row("p", "a", "x")),
            RowOperation.Delete("a"),
        ]).AsTask());

        Assert.Empty(await ReadAllAsync(table, RowQuery.All));
    }

    [Fact]
    public async Task A_batch_carrying_more_than_MaxBatchBytes_is_TooLarge_and_changes_nothing()
    {
        var table = await NewTableAsync();
        var rowBytes = Math.Min(Provider.Limits.MaxRowBytes, 900 * 1024);
        var count = (Provider.Limits.MaxBatchBytes / rowBytes) + 1;
        Assert.True(count <= Provider.Limits.MaxBatchOperations, "the limits leave no room for this test");
        var data = new byte[rowBytes];
        var ops = Enumerable.Range(0, count).Select(i => RowOperation.Write(new StorageRow("p", Numbered(i), data))).ToList();

        await AssertFails<CometException>(CometErrorCode.TooLarge, () => table.BatchAsync("p", ops).AsTask());

        Assert.Empty(await ReadAllAsync(table, RowQuery.All));
    }

    [Fact]
    public async Task An_empty_batch_does_nothing()
    {
        var table = await NewTableAsync();

        var etags = await table.BatchAsync("p", []);

        Assert.Empty(etags);
        Assert.Empty(await ReadAllAsync(table, RowQuery.All));
    }
}
