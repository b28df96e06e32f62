using Comet.Abstractions.Errors;

namespace Comet.Storage.Tests.Contract;

/// <summary>
/// The behaviour every <see cref="IStorageProvider"/> must have. A provider's test class derives
/// from this and supplies <see cref="CreateProviderAsync"/>; nothing here knows which provider
/// runs, so the same facts hold for Memory, SQLite and (later) Azure Tables. Every test opens its
/// own uniquely named tables, so a shared backend (Azurite) needs no cleanup between tests.
/// </summary>
public abstract partial class StorageProviderContract : IAsyncLifetime
{
    private IStorageProvider? provider;

    /// <summary>Creates a fresh provider for one test.</summary>
    protected abstract Task<IStorageProvider> CreateProviderAsync();

    /// <summary>Runs after the provider is disposed: delete files, stop emulators.</summary>
    protected virtual Task DeleteStorageAsync() => Task.CompletedTask;

    protected IStorageProvider Provider => provider ?? throw new InvalidOperationException("InitializeAsync has not run.");

    public async Task InitializeAsync() => provider = await CreateProviderAsync();

    public async Task DisposeAsync()
    {
        if (provider is not null)
            await provider.DisposeAsync();
        await DeleteStorageAsync();
    }

    protected async Task<IStorageTable> NewTableAsync() =>
        await Provider.OpenTableAsync("t" + Guid.NewGuid().ToString("N"));

    protected static byte[] Bytes(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    protected static StorageRow Row(string partitionKey, string rowKey, string data) => new(partitionKey, rowKey, Bytes(data));

    protected static void AssertData(string expected, StorageRow? row)
    {
        Assert.NotNull(row);
        Assert.Equal(expected, System.Text.Encoding.UTF8.GetString(row.Data.Span));
    }

    protected static async Task<T> AssertFails<T>(CometErrorCode code, Func<Task> action) where T : CometException
    {
        var error = await Assert.ThrowsAnyAsync<T>(action);
        Assert.Equal(code, error.Code);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
        return error;
    }

    protected static Task<StorageConflictException> AssertConflict(Func<Task> action) =>
        AssertFails<StorageConflictException>(CometErrorCode.Conflict, action);

    protected static async Task<List<StorageRow>> ReadAllAsync(IStorageTable table, RowQuery query, int pageSize = 1000)
    {
        var rows = new List<StorageRow>();
        await foreach (var row in table.QueryAllAsync(query, pageSize))
            rows.Add(row);
        return rows;
    }

    // ---- reads and unconditional writes ----

    [Fact]
    public async Task Read_of_a_missing_row_returns_null()
    {
        var table = await NewTableAsync();

        Assert.Null(await table.ReadAsync("p", "r"));
    }

    [Fact]
    public async Task Upserted_row_reads_back_with_its_data_etag_and_timestamp()
    {
        var table = await NewTableAsync();
        var before = DateTimeOffset.UtcNow.AddMinutes(-5);

        var etag = await table.WriteAsync(Row("p", "r", "hello"), WriteCondition.Upsert);

        var row = await table.ReadAsync("p", "r");
        AssertData("hello", row);
        Assert.Equal("p", row!.PartitionKey);
        Assert.Equal("r", row.RowKey);
        Assert.Equal(etag, row.ETag);
        Assert.False(string.IsNullOrEmpty(etag));
        Assert.InRange(row.Timestamp, before, DateTimeOffset.UtcNow.AddMinutes(5));
    }

    [Fact]
    public async Task Upsert_replaces_an_existing_row_and_changes_its_etag()
    {
        var table = await NewTableAsync();
        var first = await table.WriteAsync(Row("p", "r", "one"), WriteCondition.Upsert);

        var second = await table.WriteAsync(Row("p", "r", "two"), WriteCondition.Upsert);

        Assert.NotEqual(first, second);
        var row = await table.ReadAsync("p", "r");
        AssertData("two", row);
        Assert.Equal(second, row!.ETag);
    }

    [Fact]
    public async Task Writing_the_same_data_again_still_changes_the_etag()
    {
        var table = await NewTableAsync();
        var first = await table.WriteAsync(Row("p", "r", "same"), WriteCondition.Upsert);

        var second = await table.WriteAsync(Row("p", "r", "same"), WriteCondition.Upsert);

        Assert.NotEqual(first, second);
    }

    [Fact]
    public async Task Etags_and_timestamps_given_on_a_written_row_are_ignored()
    {
        var table = await NewTableAsync();
        var etag = await table.WriteAsync(Row("p", "r", "one"), WriteCondition.Upsert);
        var stamped = new StorageRow("p", "r", Bytes("two"), ETag: "not-the-etag", Timestamp: DateTimeOffset.UnixEpoch);

        var next = await table.WriteAsync(stamped, WriteCondition.Upsert);

        var row = await table.ReadAsync("p", "r");
        Assert.Equal(next, row!.ETag);
        Assert.NotEqual(etag, next);
        Assert.NotEqual(DateTimeOffset.UnixEpoch, row.Timestamp);
    }

    // ---- InsertOnly ----

    [Fact]
    public async Task InsertOnly_on_a_missing_row_inserts_it()
    {
        var table = await NewTableAsync();

        var etag = await table.WriteAsync(Row("p", "r", "new"), WriteCondition.InsertOnly);

        var row = await table.ReadAsync("p", "r");
        AssertData("new", row);
        Assert.Equal(etag, row!.ETag);
    }

    [Fact]
    public async Task InsertOnly_on_an_existing_row_is_a_conflict_and_leaves_the_row_unchanged()
    {
        var table = await NewTableAsync();
        var etag = await table.WriteAsync(Row("p", "r", "original"), WriteCondition.Upsert);

        await AssertConflict(() => table.WriteAsync(Row("p", "r", "intruder"), WriteCondition.InsertOnly).AsTask());

        var row = await table.ReadAsync("p", "r");
        AssertData("original", row);
        Assert.Equal(etag, row!.ETag);
    }

    // ---- IfMatch ----

    [Fact]
    public async Task IfMatch_with_the_current_etag_replaces_the_row_and_returns_a_new_etag()
    {
        var table = await NewTableAsync();
        var etag = await table.WriteAsync(Row("p", "r", "one"), WriteCondition.Upsert);

        var next = await table.WriteAsync(Row("p", "r", "two"), WriteCondition.IfMatch(etag));

        Assert.NotEqual(etag, next);
        var row = await table.ReadAsync("p", "r");
        AssertData("two", row);
        Assert.Equal(next, row!.ETag);
    }

    [Fact]
    public async Task IfMatch_with_a_stale_etag_is_a_conflict_and_leaves_the_row_unchanged()
    {
        var table = await NewTableAsync();
        var stale = await table.WriteAsync(Row("p", "r", "one"), WriteCondition.Upsert);
        var current = await table.WriteAsync(Row("p", "r", "two"), WriteCondition.IfMatch(stale));

        await AssertConflict(() => table.WriteAsync(Row("p", "r", "lost update"), WriteCondition.IfMatch(stale)).AsTask());

        var row = await table.ReadAsync("p", "r");
        AssertData("two", row);
        Assert.Equal(current, row!.ETag);
    }

    [Fact]
    public async Task IfMatch_with_an_etag_this_provider_never_issued_is_a_conflict()
    {
        var table = await NewTableAsync();
        var etag = await table.WriteAsync(Row("p", "r", "one"), WriteCondition.Upsert);

        await AssertConflict(() => table.WriteAsync(Row("p", "r", "x"), WriteCondition.IfMatch("W/\"bogus\"")).AsTask());

        Assert.Equal(etag, (await table.ReadAsync("p", "r"))!.ETag);
    }

    [Fact]
    public async Task IfMatch_on_a_missing_row_is_a_conflict_and_creates_nothing()
    {
        var table = await NewTableAsync();
        var other = await NewTableAsync();
        var etag = await other.WriteAsync(Row("p", "r", "elsewhere"), WriteCondition.Upsert);

        await AssertConflict(() => table.WriteAsync(Row("p", "r", "x"), WriteCondition.IfMatch(etag)).AsTask());

        Assert.Null(await table.ReadAsync("p", "r"));
    }

    [Fact]
    public async Task IfMatch_with_the_etag_of_a_deleted_and_recreated_row_is_a_conflict()
    {
        var table = await NewTableAsync();
        var old = await table.WriteAsync(Row("p", "r", "first life"), WriteCondition.Upsert);
        Assert.True(await table.DeleteAsync("p", "r"));
        var reborn = await table.WriteAsync(Row("p", "r", "second life"), WriteCondition.InsertOnly);

        await AssertConflict(() => table.WriteAsync(Row("p", "r", "x"), WriteCondition.IfMatch(old)).AsTask());

        Assert.NotEqual(old, reborn);
        AssertData("second life", await table.ReadAsync("p", "r"));
    }

    // ---- delete ----

    [Fact]
    public async Task Delete_of_a_missing_row_returns_false()
    {
        var table = await NewTableAsync();

        Assert.False(await table.DeleteAsync("p", "r"));
    }

    [Fact]
    public async Task Delete_removes_the_row_and_returns_true()
    {
        var table = await NewTableAsync();
        await table.WriteAsync(Row("p", "r", "x"), WriteCondition.Upsert);
        await table.WriteAsync(Row("p", "s", "neighbour"), WriteCondition.Upsert);

        Assert.True(await table.DeleteAsync("p", "r"));

        Assert.Null(await table.ReadAsync("p", "r"));
        AssertData("neighbour", await table.ReadAsync("p", "s"));
        Assert.False(await table.DeleteAsync("p", "r"));
    }

    [Fact]
    public async Task Delete_with_the_current_etag_removes_the_row()
    {
        var table = await NewTableAsync();
        var etag = await table.WriteAsync(Row("p", "r", "x"), WriteCondition.Upsert);

        Assert.True(await table.DeleteAsync("p", "r", etag));

        Assert.Null(await table.ReadAsync("p", "r"));
    }

    [Fact]
    public async Task Delete_with_a_stale_etag_is_a_conflict_and_leaves_the_row_unchanged()
    {
        var table = await NewTableAsync();
        var stale = await table.WriteAsync(Row("p", "r", "one"), WriteCondition.Upsert);
        var current = await table.WriteAsync(Row("p", "r", "two"), WriteCondition.Upsert);

        await AssertConflict(() => table.DeleteAsync("p", "r", stale).AsTask());

        var row = await table.ReadAsync("p", "r");
        AssertData("two", row);
        Assert.Equal(current, row!.ETag);
    }

    [Fact]
    public async Task Delete_with_an_etag_of_a_missing_row_returns_false()
    {
        var table = await NewTableAsync();
        var etag = await table.WriteAsync(Row("p", "r", "x"), WriteCondition.Upsert);
        Assert.True(await table.DeleteAsync("p", "r"));

        Assert.False(await table.DeleteAsync("p", "r", etag));
    }

    // ---- data ----

    [Fact]
    public async Task A_900_KB_row_round_trips_byte_exact()
    {
        var table = await NewTableAsync();
        var data = new byte[900 * 1024];
        new Random(900).NextBytes(data);

        await table.WriteAsync(new StorageRow("p", "big", data), WriteCondition.Upsert);

        var row = await table.ReadAsync("p", "big");
        Assert.True(data.AsSpan().SequenceEqual(row!.Data.Span));
    }

    [Fact]
    public async Task A_1_MiB_row_round_trips_byte_exact()
    {
        var table = await NewTableAsync();
        var data = new byte[1024 * 1024];
        new Random(1024).NextBytes(data);

        await table.WriteAsync(new StorageRow("p", "mib", data), WriteCondition.Upsert);

        var rows = await ReadAllAsync(table, RowQuery.Partition("p"));
        Assert.True(data.AsSpan().SequenceEqual(Assert.Single(rows).Data.Span));
    }

    [Fact]
    public async Task Empty_data_round_trips_as_an_empty_row()
    {
        var table = await NewTableAsync();

        var etag = await table.WriteAsync(new StorageRow("p", "empty", ReadOnlyMemory<byte>.Empty), WriteCondition.InsertOnly);

        var row = await table.ReadAsync("p", "empty");
        Assert.NotNull(row);
        Assert.Equal(0, row.Data.Length);
        Assert.Equal(etag, row.ETag);
        Assert.Equal(0, Assert.Single(await ReadAllAsync(table, RowQuery.All)).Data.Length);
    }

    [Fact]
    public async Task Data_that_is_a_slice_of_a_larger_buffer_is_stored_as_the_slice()
    {
        var table = await NewTableAsync();
        var buffer = Bytes("xxHELLOxx");

        await table.WriteAsync(new StorageRow("p", "r", buffer.AsMemory(2, 5)), WriteCondition.Upsert);

        AssertData("HELLO", await table.ReadAsync("p", "r"));
    }

    [Fact]
    public async Task Reusing_the_callers_buffer_after_a_write_does_not_change_the_stored_row()
    {
        var table = await NewTableAsync();
        var buffer = Bytes("before");

        await table.WriteAsync(new StorageRow("p", "r", buffer), WriteCondition.Upsert);
        Bytes("AFTER!").CopyTo(buffer, 0);

        AssertData("before", await table.ReadAsync("p", "r"));
    }

    [Fact]
    public async Task Data_larger_than_MaxRowBytes_is_TooLarge_and_not_written()
    {
        var table = await NewTableAsync();
        var data = new byte[Provider.Limits.MaxRowBytes + 1];

        await AssertFails<CometException>(CometErrorCode.TooLarge,
            () => table.WriteAsync(new StorageRow("p", "r", data), WriteCondition.Upsert).AsTask());

        Assert.Null(await table.ReadAsync("p", "r"));
    }

    // ---- tables ----

    [Fact]
    public async Task Tables_with_the_same_keys_are_isolated()
    {
        var first = await NewTableAsync();
        var second = await NewTableAsync();

        await first.WriteAsync(Row("p", "r", "first"), WriteCondition.Upsert);
        await second.WriteAsync(Row("p", "r", "second"), WriteCondition.Upsert);
        await second.WriteAsync(Row("p", "only-second", "x"), WriteCondition.Upsert);
        Assert.True(await first.DeleteAsync("p", "r"));

        Assert.Null(await first.ReadAsync("p", "r"));
        AssertData("second", await second.ReadAsync("p", "r"));
        Assert.Empty(await ReadAllAsync(first, RowQuery.All));
        Assert.Equal(2, (await ReadAllAsync(second, RowQuery.All)).Count);
    }

    [Fact]
    public async Task Table_names_differing_only_in_case_open_the_same_table()
    {
        var name = "Case" + Guid.NewGuid().ToString("N");
        var upper = await Provider.OpenTableAsync(name.ToUpperInvariant());
        await upper.WriteAsync(Row("p", "r", "shared"), WriteCondition.Upsert);

        var lower = await Provider.OpenTableAsync(name.ToLowerInvariant());

        AssertData("shared", await lower.ReadAsync("p", "r"));
    }

    [Fact]
    public async Task Opening_a_table_twice_sees_the_same_rows()
    {
        var name = "t" + Guid.NewGuid().ToString("N");
        var first = await Provider.OpenTableAsync(name);
        await first.WriteAsync(Row("p", "r", "x"), WriteCondition.Upsert);

        var again = await Provider.OpenTableAsync(name);

        AssertData("x", await again.ReadAsync("p", "r"));
        Assert.Equal(name, again.Name, ignoreCase: true);
    }

    [Theory]
    [InlineData("")]
    [InlineData("ab")]
    [InlineData("1abc")]
    [InlineData("has-dash")]
    [InlineData("has_underscore")]
    [InlineData("has space")]
    [InlineData("Ünicode")]
    [InlineData("tables")]
    [InlineData("TABLES")]
    [InlineData("a123456789012345678901234567890123456789012345678901234567890123")]
    public async Task Invalid_table_names_are_a_bad_request(string name)
    {
        await AssertFails<CometException>(CometErrorCode.BadRequest, () => Provider.OpenTableAsync(name).AsTask());
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("A1b2C3")]
    [InlineData("a12345678901234567890123456789012345678901234567890123456789012")]
    public async Task Valid_table_names_open(string name)
    {
        var table = await Provider.OpenTableAsync(name);

        Assert.Equal(name, table.Name, ignoreCase: true);
    }

    // ---- cancellation ----

    [Fact]
    public async Task A_write_cancelled_before_it_is_made_is_not_written()
    {
        var table = await NewTableAsync();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => table.WriteAsync(Row("p", "r", "x"), WriteCondition.Upsert, cancelled.Token).AsTask());

        Assert.Null(await table.ReadAsync("p", "r"));
    }
}
