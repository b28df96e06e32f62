namespace Comet.Storage.Tests.Contract;

public abstract partial class StorageProviderContract
{
    [Fact]
    public async Task Fifty_concurrent_IfMatch_writers_on_one_row_produce_exactly_one_winner_per_round()
    {
        var table = await NewTableAsync();
        var etag = await table.WriteAsync(Row("p", "contended", "start"), WriteCondition.Upsert);

        for (var round = 0; round < 10; round++)
        {
            var expected = etag;
            var attempts = Enumerable.Range(0, 50).Select(async writer =>
            {
                await Task.Yield();
                try
                {
                    var next = await table.WriteAsync(Row("p", "contended", $"round {round} writer {writer}"), WriteCondition.IfMatch(expected));
                    return (Writer: writer, ETag: next);
                }
                catch (StorageConflictException)
                {
                    return (Writer: writer, ETag: (string?)null);
                }
            }).ToList();
            var outcomes = await Task.WhenAll(attempts);

            var winner = Assert.Single(outcomes, o => o.ETag is not null);
            var row = await table.ReadAsync("p", "contended");
            AssertData($"round {round} writer {winner.Writer}", row);
            Assert.Equal(winner.ETag, row!.ETag);
            etag = winner.ETag!;
        }
    }

    [Fact]
    public async Task Fifty_concurrent_InsertOnly_writers_of_one_row_produce_exactly_one_winner()
    {
        var table = await NewTableAsync();

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 50).Select(async writer =>
        {
            await Task.Yield();
            try
            {
                await table.WriteAsync(Row("p", "once", "writer " + writer), WriteCondition.InsertOnly);
                return writer;
            }
            catch (StorageConflictException)
            {
                return -1;
            }
        }));

        var winner = Assert.Single(outcomes, o => o >= 0);
        AssertData("writer " + winner, await table.ReadAsync("p", "once"));
    }

    [Fact]
    public async Task Concurrent_writers_of_distinct_rows_all_succeed_and_every_row_reads_back()
    {
        var table = await NewTableAsync();

        var etags = await Task.WhenAll(Enumerable.Range(0, 400).Select(async i =>
        {
            await Task.Yield();
            return await table.WriteAsync(Row("p" + (i % 4), "r" + i, "v" + i), WriteCondition.InsertOnly);
        }));

        Assert.Equal(400, etags.Distinct().Count());
        var rows = await ReadAllAsync(table, RowQuery.All);
        Assert.Equal(400, rows.Count);
        foreach (var row in rows)
            Assert.Equal("v" + row.RowKey[1..], System.Text.Encoding.UTF8.GetString(row.Data.Span));
    }
}
