using Comet.Abstractions.Errors;
using Comet.Storage.Azure;

namespace Comet.Storage.Tests.Azure;

/// <summary>What only the Azure provider has: multi-entity rows, over-long keys, Azure's batch limits.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzureTableStorageProviderTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private AzureTableStorageProvider provider = null!;

    public Task InitializeAsync()
    {
        provider = new AzureTableStorageProvider(new AzureTableStorageOptions { ConnectionString = azurite.ConnectionString });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await provider.DisposeAsync();

    private async Task<IStorageTable> NewTableAsync() => await provider.OpenTableAsync("az" + Guid.NewGuid().ToString("N"));

    private static byte[] Random(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    [Fact]
    public async Task A_row_at_MaxRowBytes_spans_entities_and_reads_back_by_point_read_and_query()
    {
        var table = await NewTableAsync();
        var data = Random(provider.Limits.MaxRowBytes, 1);

        var etag = await table.WriteAsync(new StorageRow("p", "huge", data), WriteCondition.InsertOnly);
        await table.WriteAsync(new StorageRow("p", "huge\u0000after", new byte[] { 1 }), WriteCondition.Upsert);

        var read = await table.ReadAsync("p", "huge");
        Assert.True(data.AsSpan().SequenceEqual(read!.Data.Span));
        Assert.Equal(etag, read.ETag);
        var listed = new List<StorageRow>();
        await foreach (var row in table.QueryAllAsync(RowQuery.All, pageSize: 1))
            listed.Add(row);
        Assert.Equal(["huge", "huge\u0000after"], listed.Select(r => r.RowKey));
        Assert.True(data.AsSpan().SequenceEqual(listed[0].Data.Span));
    }

    [Fact]
    public async Task Shrinking_then_deleting_a_multi_entity_row_leaves_no_entities_behind()
    {
        var table = await NewTableAsync();
        var etag = await table.WriteAsync(new StorageRow("p", "r", Random(1024 * 1024, 2)), WriteCondition.Upsert);
        etag = await table.WriteAsync(new StorageRow("p", "r", Random(10, 3)), WriteCondition.IfMatch(etag));

        Assert.Equal(10, (await table.ReadAsync("p", "r"))!.Data.Length);
        Assert.True(await table.DeleteAsync("p", "r", etag));

        // Look underneath the provider: a raw query of the partition must find nothing.
        var raw = await new AzureTableStorageProvider(new AzureTableStorageOptions { ConnectionString = azurite.ConnectionString }).OpenTableAsync(table.Name);
        Assert.Empty((await raw.QueryAsync(RowQuery.All, null, 100)).Rows);
        Assert.Null(await table.ReadAsync("p", "r"));
    }

    [Fact]
    public async Task Keys_longer_than_Azure_allows_round_trip_and_stay_distinct()
    {
        var table = await NewTableAsync();
        var pk = new string('/', 1024);
        var a = new string('\u0001', 1023) + "a";
        var b = new string('\u0001', 1023) + "b";

        await table.BatchAsync(pk, [RowOperation.Write(new StorageRow(pk, a, "A"u8.ToArray())), RowOperation.Write(new StorageRow(pk, b, "B"u8.ToArray()))]);

        Assert.Equal("A"u8.ToArray(), (await table.ReadAsync(pk, a))!.Data.ToArray());
        Assert.Equal("B"u8.ToArray(), (await table.ReadAsync(pk, b))!.Data.ToArray());
        var rows = (await table.QueryAsync(RowQuery.Partition(pk), null, 10)).Rows;
        Assert.Equal([a, b], rows.Select(r => r.RowKey).Order(StringComparer.Ordinal));
        Assert.All(rows, r => Assert.Equal(pk, r.PartitionKey));
        Assert.True(await table.DeleteAsync(pk, a));
    }

    [Fact]
    public async Task A_batch_needing_more_than_100_entities_is_a_bad_request_that_says_to_split_it()
    {
        var table = await NewTableAsync();
        var ops = Enumerable.Range(0, 99).Select(i => RowOperation.Write(new StorageRow("p", "r" + i, new byte[1]))).ToList();
        ops.Add(RowOperation.Write(new StorageRow("p", "big", new byte[TableEntity.MaxBytesPerEntity + 1])));

        var error = await Assert.ThrowsAsync<CometException>(() => table.BatchAsync("p", ops).AsTask());

        Assert.Equal(CometErrorCode.BadRequest, error.Code);
        Assert.Contains("Split it", error.Message, StringComparison.Ordinal);
        Assert.Empty((await table.QueryAsync(RowQuery.All, null, 10)).Rows);
    }

    [Fact]
    public async Task An_etag_of_another_row_is_refused_even_when_Azure_gave_both_the_same_timestamp()
    {
        var table = await NewTableAsync();
        var etags = await table.BatchAsync("p", [RowOperation.Write(new StorageRow("p", "a", new byte[] { 1 })), RowOperation.Write(new StorageRow("p", "b", new byte[] { 2 }))]);

        Assert.NotEqual(etags[0], etags[1]);
        await Assert.ThrowsAsync<StorageConflictException>(() => table.WriteAsync(new StorageRow("p", "b", new byte[] { 3 }), WriteCondition.IfMatch(etags[0]!)).AsTask());
    }

    [Fact]
    public async Task A_wrong_account_key_is_Forbidden_with_a_message_that_says_what_to_check()
    {
        var wrongKey = Convert.ToBase64String(new byte[64]);
        await using var wrong = new AzureTableStorageProvider(new AzureTableStorageOptions
        {
            ConnectionString = $"AccountName=devstoreaccount1;AccountKey={wrongKey};TableEndpoint={azurite.TableEndpoint}",
            MaxRetries = 0,
        });

        var error = await Assert.ThrowsAsync<CometException>(() => wrong.OpenTableAsync("forbidden" + Guid.NewGuid().ToString("N")).AsTask());

        Assert.Equal(CometErrorCode.Forbidden, error.Code);
        Assert.Contains("account key", error.Message, StringComparison.Ordinal);
    }
}
