using System.Globalization;
using System.Text;
using Comet.Abstractions.Errors;
using Comet.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Comet.Storage.Tests.Sqlite;

/// <summary>What only the SQLite provider promises: durability across reopen, sharing one file between providers (processes), write grouping, a bounded WAL, and clear errors for bad files.</summary>
public sealed class SqliteStorageProviderTests : IDisposable
{
    private readonly TempDatabase database = new();

    public void Dispose() => database.Dispose();

    private static StorageRow Row(string partitionKey, string rowKey, string data) => new(partitionKey, rowKey, Encoding.UTF8.GetBytes(data));

    private static string Text(StorageRow? row) => row is null ? "<missing>" : Encoding.UTF8.GetString(row.Data.Span);

    private static string Key(int i) => i.ToString("D6", CultureInfo.InvariantCulture);

    [Fact]
    public async Task Data_survives_dispose_and_reopen()
    {
        string etag;
        await using (var provider = await database.OpenAsync())
        {
            var table = await provider.OpenTableAsync("Objects");
            etag = await table.WriteAsync(Row("p", "r", "durable"), WriteCondition.Upsert);
            await table.BatchAsync("q", [RowOperation.Write(Row("q", "a", "batched")), RowOperation.Write(Row("q", "b", "batched"))]);
        }

        await using (var reopened = await database.OpenAsync())
        {
            var table = await reopened.OpenTableAsync("objects");
            var row = await table.ReadAsync("p", "r");
            Assert.Equal("durable", Text(row));
            Assert.Equal(etag, row!.ETag);
            Assert.Equal("Objects", table.Name);
            Assert.Equal(2, (await table.QueryAsync(RowQuery.Partition("q"), null, 10)).Rows.Count);

            // ETags keep growing across reopen: an old ETag never comes back.
            var next = await table.WriteAsync(Row("p", "r", "again"), WriteCondition.IfMatch(etag));
            Assert.NotEqual(etag, next);
        }
    }

    [Fact]
    public async Task Dispose_commits_every_write_already_queued()
    {
        var provider = await database.OpenAsync();
        var table = await provider.OpenTableAsync("Objects");
        var writes = Enumerable.Range(0, 2000)
            .Select(i => table.WriteAsync(Row("p", Key(i), "v" + i), WriteCondition.Upsert).AsTask())
            .ToList();

        await provider.DisposeAsync();

        // Every queued write succeeds (the AsTask wrappers may finish a moment after DisposeAsync
        // returns, so await them rather than sample their status; a hang fails within the guard).
        await Task.WhenAll(writes).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(writes, w => Assert.True(w.IsCompletedSuccessfully));
        await using var reopened = await database.OpenAsync();
        var rows = await ReadAllAsync(await reopened.OpenTableAsync("Objects"), RowQuery.All);
        Assert.Equal(2000, rows.Count);
    }

    [Fact]
    public async Task Operations_after_dispose_throw_ObjectDisposedException()
    {
        var provider = await database.OpenAsync();
        var table = await provider.OpenTableAsync("Objects");
        await provider.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => table.WriteAsync(Row("p", "r", "x"), WriteCondition.Upsert).AsTask());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => table.ReadAsync("p", "r").AsTask());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => provider.OpenTableAsync("Other").AsTask());
        await provider.DisposeAsync(); // twice is fine
    }

    [Fact]
    public async Task Two_providers_on_one_file_see_each_others_writes()
    {
        await using var first = await database.OpenAsync();
        await using var second = await database.OpenAsync();
        var a = await first.OpenTableAsync("Shared");
        var b = await second.OpenTableAsync("SHARED");

        var etag = await a.WriteAsync(Row("p", "from-a", "hello"), WriteCondition.Upsert);
        await b.WriteAsync(Row("p", "from-b", "world"), WriteCondition.Upsert);

        Assert.Equal("hello", Text(await b.ReadAsync("p", "from-a")));
        Assert.Equal("world", Text(await a.ReadAsync("p", "from-b")));
        Assert.Equal(etag, (await b.ReadAsync("p", "from-a"))!.ETag);
        Assert.True(await b.DeleteAsync("p", "from-a", etag));
        Assert.Null(await a.ReadAsync("p", "from-a"));
    }

    [Fact]
    public async Task Two_providers_on_one_file_keep_conditional_writes_correct()
    {
        await using var first = await database.OpenAsync();
        await using var second = await database.OpenAsync();
        var tables = new[] { await first.OpenTableAsync("Shared"), await second.OpenTableAsync("Shared") };
        var etag = await tables[0].WriteAsync(Row("p", "contended", "start"), WriteCondition.Upsert);
        var issued = new HashSet<string> { etag };

        for (var round = 0; round < 20; round++)
        {
            var expected = etag;
            var outcomes = await Task.WhenAll(Enumerable.Range(0, 40).Select(async writer =>
            {
                await Task.Yield();
                try
                {
                    return (Writer: writer, ETag: (string?)await tables[writer % 2].WriteAsync(
                        Row("p", "contended", $"{round}/{writer}"), WriteCondition.IfMatch(expected)));
                }
                catch (StorageConflictException)
                {
                    return (Writer: writer, ETag: null);
                }
            }));

            var winner = Assert.Single(outcomes, o => o.ETag is not null);
            Assert.True(issued.Add(winner.ETag!), "an ETag was handed out twice");
            foreach (var table in tables)
            {
                var row = await table.ReadAsync("p", "contended");
                Assert.Equal($"{round}/{winner.Writer}", Text(row));
                Assert.Equal(winner.ETag, row!.ETag);
            }
            etag = winner.ETag!;
        }

        // Insert-only races between the two providers have one winner too.
        var inserts = await Task.WhenAll(Enumerable.Range(0, 20).Select(async writer =>
        {
            try
            {
                await tables[writer % 2].WriteAsync(Row("p", "once", "w" + writer), WriteCondition.InsertOnly);
                return true;
            }
            catch (StorageConflictException)
            {
                return false;
            }
        }));
        Assert.Single(inserts, won => won);
    }

    [Fact]
    public async Task Many_concurrent_writers_all_complete_and_every_row_reads_back()
    {
        await using var provider = await database.OpenAsync();
        var table = await provider.OpenTableAsync("Objects");
        var transactionsBefore = Interlocked.Read(ref provider.Writer.Transactions);

        await Task.WhenAll(Enumerable.Range(0, 64).Select(async writer =>
        {
            await Task.Yield();
            for (var i = 0; i < 100; i++)
                await table.WriteAsync(Row("w" + writer, Key(i), $"{writer}:{i}"), WriteCondition.Upsert);
        }));

        var rows = await ReadAllAsync(table, RowQuery.All);
        Assert.Equal(6400, rows.Count);
        Assert.All(rows, r => Assert.Equal($"{r.PartitionKey[1..]}:{int.Parse(r.RowKey, CultureInfo.InvariantCulture)}", Text(r)));
        Assert.InRange(Interlocked.Read(ref provider.Writer.Transactions) - transactionsBefore, 1, 6400);
    }

    [Fact]
    public async Task Writes_queued_while_another_process_holds_the_lock_commit_in_a_few_transactions()
    {
        await using var provider = await database.OpenAsync(o => o.WriteBatchMaxRows = 256);
        var table = await provider.OpenTableAsync("Objects");
        var transactionsBefore = Interlocked.Read(ref provider.Writer.Transactions);

        List<Task<string>> writes;
        using (var otherProcess = new SqliteConnection($"Data Source={database.Path};Pooling=False"))
        {
            otherProcess.Open();
            using (var begin = otherProcess.CreateCommand())
            {
                begin.CommandText = "BEGIN IMMEDIATE;";
                begin.ExecuteNonQuery();
            }
            // The writer blocks on the lock (at most on its first write); the rest queue up.
            writes = Enumerable.Range(0, 1000)
                .Select(i => table.WriteAsync(Row("p", Key(i), "v"), WriteCondition.Upsert).AsTask())
                .ToList();
            using var commit = otherProcess.CreateCommand();
            commit.CommandText = "COMMIT;";
            commit.ExecuteNonQuery();
        }
        await Task.WhenAll(writes);

        // One transaction for whatever the writer took before it blocked, then groups of 256.
        var transactions = Interlocked.Read(ref provider.Writer.Transactions) - transactionsBefore;
        Assert.InRange(transactions, 1, 1 + (1000 + 255) / 256);
        Assert.Equal(1000, (await ReadAllAsync(table, RowQuery.All)).Count);
    }

    [Fact]
    public async Task A_failed_condition_fails_only_its_own_write_in_a_group()
    {
        await using var provider = await database.OpenAsync();
        var table = await provider.OpenTableAsync("Objects");
        await table.WriteAsync(Row("p", "taken", "original"), WriteCondition.Upsert);

        Task<string>[] writes;
        using (var otherProcess = new SqliteConnection($"Data Source={database.Path};Pooling=False"))
        {
            otherProcess.Open();
            using (var begin = otherProcess.CreateCommand())
            {
                begin.CommandText = "BEGIN IMMEDIATE;";
                begin.ExecuteNonQuery();
            }
            writes =
            [
                table.WriteAsync(Row("p", "a", "a"), WriteCondition.Upsert).AsTask(),
                table.WriteAsync(Row("p", "b", "b"), WriteCondition.Upsert).AsTask(),
                table.WriteAsync(Row("p", "taken", "intruder"), WriteCondition.InsertOnly).AsTask(),
                table.WriteAsync(Row("p", "c", "c"), WriteCondition.IfMatch("12345678")).AsTask(),
                table.WriteAsync(Row("p", "d", "d"), WriteCondition.InsertOnly).AsTask(),
            ];
            using var commit = otherProcess.CreateCommand();
            commit.CommandText = "COMMIT;";
            commit.ExecuteNonQuery();
        }

        await writes[0];
        await writes[1];
        await Assert.ThrowsAsync<StorageConflictException>(() => writes[2]);
        await Assert.ThrowsAsync<StorageConflictException>(() => writes[3]);
        await writes[4];
        var rows = await ReadAllAsync(table, RowQuery.All);
        Assert.Equal(["a", "b", "d", "taken"], rows.Select(r => r.RowKey));
        Assert.Equal("original", Text(rows[3]));
    }

    [Fact]
    public async Task A_write_that_SQLite_rejects_fails_alone_and_the_rest_of_its_group_commits()
    {
        const int SqliteLimitLength = 0;
        await using var provider = await database.OpenAsync();
        var table = await provider.OpenTableAsync("Objects");
        // Make SQLite itself refuse values over 8000 bytes, below StorageLimits.MaxRowBytes.
        SQLitePCL.raw.sqlite3_limit(provider.Writer.Connection.Handle, SqliteLimitLength, 8000);

        Task<string>[] writes;
        using (var otherProcess = new SqliteConnection($"Data Source={database.Path};Pooling=False"))
        {
            otherProcess.Open();
            using (var begin = otherProcess.CreateCommand())
            {
                begin.CommandText = "BEGIN IMMEDIATE;";
                begin.ExecuteNonQuery();
            }
            writes =
            [
                table.WriteAsync(Row("p", "a", "a"), WriteCondition.Upsert).AsTask(),
                table.WriteAsync(Row("p", "b", "b"), WriteCondition.Upsert).AsTask(),
                table.WriteAsync(new StorageRow("p", "huge", new byte[10_000]), WriteCondition.Upsert).AsTask(),
                table.WriteAsync(Row("p", "c", "c"), WriteCondition.Upsert).AsTask(),
            ];
            using var commit = otherProcess.CreateCommand();
            commit.CommandText = "COMMIT;";
            commit.ExecuteNonQuery();
        }

        await writes[0];
        await writes[1];
        var error = await Assert.ThrowsAnyAsync<CometException>(() => writes[2]);
        Assert.Equal(CometErrorCode.TooLarge, error.Code);
        await writes[3];
        Assert.Equal(["a", "b", "c"], (await ReadAllAsync(table, RowQuery.All)).Select(r => r.RowKey));
    }

    [Fact]
    public async Task A_writer_kept_out_past_BusyTimeout_fails_with_Timeout_and_writes_nothing()
    {
        await using var provider = await database.OpenAsync(o =>
        {
            o.BusyTimeout = TimeSpan.FromMilliseconds(200);
            o.CheckpointWaitTimeout = TimeSpan.FromMilliseconds(100);
        });
        var table = await provider.OpenTableAsync("Objects");

        using (var otherProcess = new SqliteConnection($"Data Source={database.Path};Pooling=False"))
        {
            otherProcess.Open();
            using var begin = otherProcess.CreateCommand();
            begin.CommandText = "BEGIN IMMEDIATE;";
            begin.ExecuteNonQuery();

            var error = await Assert.ThrowsAnyAsync<CometException>(() => table.WriteAsync(Row("p", "r", "x"), WriteCondition.Upsert).AsTask());
            Assert.Equal(CometErrorCode.Timeout, error.Code);
            Assert.Contains("BusyTimeout", error.Message, StringComparison.Ordinal);
        }

        Assert.Null(await table.ReadAsync("p", "r"));
        await table.WriteAsync(Row("p", "r", "after"), WriteCondition.Upsert);
        Assert.Equal("after", Text(await table.ReadAsync("p", "r")));
    }

    [Fact]
    public async Task The_WAL_stays_bounded_while_20k_rows_are_written_and_a_checkpoint_empties_it()
    {
        const long Bound = 64L * 1024 * 1024;
        await using var provider = await database.OpenAsync();
        var table = await provider.OpenTableAsync("Objects");
        var data = new byte[4096];
        long largestWal = 0, written = 0;

        for (var start = 0; start < 20_000; start += 500)
        {
            await Task.WhenAll(Enumerable.Range(start, 500)
                .Select(i => table.WriteAsync(new StorageRow("p" + (i % 16), Key(i), data), WriteCondition.Upsert).AsTask()));
            written += 500L * data.Length;
            largestWal = Math.Max(largestWal, new FileInfo(database.WalPath).Length);
        }

        // 80 MB went through the WAL; without checkpoints it would hold all of it.
        Assert.True(written > Bound);
        Assert.True(largestWal < Bound, $"the WAL grew to {largestWal} bytes");
        Assert.True(await provider.CheckpointAsync());
        Assert.Equal(0, new FileInfo(database.WalPath).Length);
        Assert.Equal(20_000, (await ReadAllAsync(table, RowQuery.All)).Count);
    }

    [Fact]
    public async Task Scheduled_checkpoints_empty_the_WAL_after_writes_stop()
    {
        await using var provider = await database.OpenAsync(o => o.CheckpointInterval = TimeSpan.FromMilliseconds(100));
        var table = await provider.OpenTableAsync("Objects");
        await Task.WhenAll(Enumerable.Range(0, 500)
            .Select(i => table.WriteAsync(new StorageRow("p", Key(i), new byte[1000]), WriteCondition.Upsert).AsTask()));
        Assert.True(new FileInfo(database.WalPath).Length > 0);

        // Not a speed assertion: the outcome must happen, and 30 s is far beyond any interval.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (new FileInfo(database.WalPath).Length > 0 && DateTime.UtcNow < deadline)
            await Task.Delay(50);

        Assert.Equal(0, new FileInfo(database.WalPath).Length);
        Assert.Equal(500, (await ReadAllAsync(table, RowQuery.All)).Count);
    }

    [Fact]
    public async Task A_file_that_is_not_a_database_gives_a_clear_CometException()
    {
        await File.WriteAllTextAsync(database.Path, string.Concat(Enumerable.Repeat("this is not a SQLite database\n", 500)));

        var error = await Assert.ThrowsAnyAsync<CometException>(() => database.OpenAsync());

        Assert.Equal(CometErrorCode.Unavailable, error.Code);
        Assert.Contains(database.Path, error.Message, StringComparison.Ordinal);
        Assert.Contains("not a SQLite database", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_database_corrupted_after_its_header_fails_with_a_CometException_not_a_crash()
    {
        await using (var provider = await database.OpenAsync())
        {
            var table = await provider.OpenTableAsync("Objects");
            for (var start = 0; start < 2000; start += 100)
            {
                await table.BatchAsync("p", Enumerable.Range(start, 100)
                    .Select(i => RowOperation.Write(new StorageRow("p", Key(i), new byte[200]))).ToList());
            }
        }
        var bytes = await File.ReadAllBytesAsync(database.Path);
        Assert.True(bytes.Length > 16 * 4096);
        new Random(7).NextBytes(bytes.AsSpan(4 * 4096, bytes.Length - 4 * 4096));
        await File.WriteAllBytesAsync(database.Path, bytes);

        // Opening may succeed (the header and catalog are intact); reading the rows must fail cleanly.
        var error = await Assert.ThrowsAnyAsync<CometException>(async () =>
        {
            await using var provider = await database.OpenAsync();
            var table = await provider.OpenTableAsync("Objects");
            await ReadAllAsync(table, RowQuery.All);
            await table.WriteAsync(Row("p", Key(5), "x"), WriteCondition.Upsert);
        });

        Assert.Equal(CometErrorCode.Unavailable, error.Code);
        Assert.Contains("corrupt", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_database_of_another_application_is_refused()
    {
        using (var other = new SqliteConnection($"Data Source={database.Path};Pooling=False"))
        {
            other.Open();
            using var create = other.CreateCommand();
            create.CommandText = "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL);";
            create.ExecuteNonQuery();
        }

        var error = await Assert.ThrowsAnyAsync<CometException>(() => database.OpenAsync());

        Assert.Equal(CometErrorCode.Unavailable, error.Code);
        Assert.Contains("another application", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_database_with_a_newer_layout_is_refused()
    {
        await (await database.OpenAsync()).DisposeAsync();
        using (var other = new SqliteConnection($"Data Source={database.Path};Pooling=False"))
        {
            other.Open();
            using var bump = other.CreateCommand();
            bump.CommandText = "PRAGMA user_version = 99;";
            bump.ExecuteNonQuery();
        }

        var error = await Assert.ThrowsAnyAsync<CometException>(() => database.OpenAsync());

        Assert.Equal(CometErrorCode.Unavailable, error.Code);
        Assert.Contains("newer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_directory_is_created()
    {
        var nested = Path.Combine(database.Directory, "a", "b", "store.db");

        await using var provider = await SqliteStorageProvider.OpenAsync(new SqliteStorageOptions { DataSource = nested });

        Assert.True(File.Exists(nested));
    }

    public static TheoryData<string> InvalidOptions() =>
    [
        nameof(SqliteStorageOptions.DataSource),
        ":memory:",
        nameof(SqliteStorageOptions.BusyTimeout),
        nameof(SqliteStorageOptions.WriteBatchMaxRows),
        nameof(SqliteStorageOptions.WriteQueueCapacity),
        nameof(SqliteStorageOptions.CheckpointInterval),
        nameof(SqliteStorageOptions.CheckpointWaitTimeout),
        nameof(SqliteStorageOptions.JournalSizeLimit),
        nameof(SqliteStorageOptions.AutoCheckpointPages),
        nameof(SqliteStorageOptions.ReadConnectionPoolSize),
        nameof(StorageLimits.MaxBatchOperations),
        nameof(StorageLimits.MaxPageSize),
        nameof(StorageLimits.MaxKeyLength),
    ];

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void Invalid_options_are_rejected_with_a_message_naming_the_option(string option)
    {
        var options = database.Options();
        switch (option)
        {
            case nameof(SqliteStorageOptions.DataSource): options.DataSource = " "; break;
            case ":memory:": options.DataSource = ":memory:"; break;
            case nameof(SqliteStorageOptions.BusyTimeout): options.BusyTimeout = TimeSpan.Zero; break;
            case nameof(SqliteStorageOptions.WriteBatchMaxRows): options.WriteBatchMaxRows = 0; break;
            case nameof(SqliteStorageOptions.WriteQueueCapacity): options.WriteQueueCapacity = 0; break;
            case nameof(SqliteStorageOptions.CheckpointInterval): options.CheckpointInterval = TimeSpan.Zero; break;
            case nameof(SqliteStorageOptions.CheckpointWaitTimeout): options.CheckpointWaitTimeout = TimeSpan.FromMinutes(1); break;
            case nameof(SqliteStorageOptions.JournalSizeLimit): options.JournalSizeLimit = -1; break;
            case nameof(SqliteStorageOptions.AutoCheckpointPages): options.AutoCheckpointPages = 0; break;
            case nameof(SqliteStorageOptions.ReadConnectionPoolSize): options.ReadConnectionPoolSize = -1; break;
            case nameof(StorageLimits.MaxBatchOperations): options.Limits.MaxBatchOperations = 101; break;
            case nameof(StorageLimits.MaxPageSize): options.Limits.MaxPageSize = 1001; break;
            case nameof(StorageLimits.MaxKeyLength): options.Limits.MaxKeyLength = 1025; break;
        }

        var error = Assert.ThrowsAny<ArgumentException>(options.Validate);

        Assert.Contains(option == ":memory:" ? "DataSource" : option, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_reads_succeed_with_a_read_pool_smaller_than_the_number_of_readers()
    {
        await using var provider = await database.OpenAsync(o => o.ReadConnectionPoolSize = 2);
        var table = await provider.OpenTableAsync("Objects");
        await table.WriteAsync(Row("p", "r", "x"), WriteCondition.Upsert);

        var reads = await Task.WhenAll(Enumerable.Range(0, 200).Select(async _ =>
        {
            await Task.Yield();
            return Text(await table.ReadAsync("p", "r"));
        }));

        Assert.All(reads, r => Assert.Equal("x", r));
    }

    private static async Task<List<StorageRow>> ReadAllAsync(IStorageTable table, RowQuery query)
    {
        var rows = new List<StorageRow>();
        await foreach (var row in table.QueryAllAsync(query))
            rows.Add(row);
        return rows;
    }
}
