using System.Diagnostics;
using Orleans;
using Orleans.Runtime;
using Orleans.Storage;
using Xunit.Abstractions;

namespace Comet.Persistence.Sqlite.Tests.Storage;

/// <summary>The grain storage contract (the cases of Orleans's GrainStorageTestRunner), on SQLite.</summary>
public sealed class SqliteGrainStorageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string StateName = "state";
    private readonly TempDatabase database = new();
    private GrainStorageHarness harness = null!;
    private SqliteGrainStorage storage = null!;

    public async Task InitializeAsync()
    {
        harness = new GrainStorageHarness(database);
        storage = await harness.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await harness.DisposeAsync();
        database.Dispose();
    }

    [Fact]
    public async Task Reading_a_state_never_written_gives_a_new_state_without_etag()
    {
        var state = new GrainState<TestState> { State = new TestState { Name = "stale" }, ETag = "123", RecordExists = true };

        await storage.ReadStateAsync(StateName, GrainStorageHarness.NewGrain(), state);

        Assert.Null(state.ETag);
        Assert.False(state.RecordExists);
        Assert.Null(state.State!.Name);
        Assert.Equal(0, state.State!.Count);
    }

    [Fact]
    public async Task A_written_state_reads_back_with_its_etag()
    {
        var grain = GrainStorageHarness.NewGrain();
        var written = new GrainState<TestState> { State = new TestState { Name = "Привет, мир", Count = 7 } };

        await storage.WriteStateAsync(StateName, grain, written);
        var read = await ReadAsync(grain);

        Assert.NotNull(written.ETag);
        Assert.True(written.RecordExists);
        Assert.Equal(written.ETag, read.ETag);
        Assert.True(read.RecordExists);
        Assert.Equal("Привет, мир", read.State!.Name);
        Assert.Equal(7, read.State!.Count);
    }

    [Fact]
    public async Task Every_write_and_clear_gives_a_new_etag()
    {
        var grain = GrainStorageHarness.NewGrain();
        var state = new GrainState<TestState> { State = new TestState() };
        var etags = new List<string?>();
        for (var i = 0; i < 3; i++)
        {
            state.State!.Count = i;
            await storage.WriteStateAsync(StateName, grain, state);
            etags.Add(state.ETag);
        }
        await storage.ClearStateAsync(StateName, grain, state);
        etags.Add(state.ETag);
        await storage.WriteStateAsync(StateName, grain, state);
        etags.Add(state.ETag);

        Assert.All(etags, Assert.NotNull);
        Assert.Equal(etags.Count, etags.Distinct().Count());
    }

    [Fact]
    public async Task A_write_with_a_stale_etag_throws_InconsistentStateException_and_changes_nothing()
    {
        var grain = GrainStorageHarness.NewGrain();
        var state = new GrainState<TestState> { State = new TestState { Name = "initial" } };
        await storage.WriteStateAsync(StateName, grain, state);
        var staleETag = state.ETag;
        state.State = new TestState { Name = "latest" };
        await storage.WriteStateAsync(StateName, grain, state);

        var stale = new GrainState<TestState> { State = new TestState { Name = "stale" }, ETag = staleETag, RecordExists = true };
        var error = await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, grain, stale));

        Assert.Equal(state.ETag, error.StoredEtag);
        Assert.Equal(staleETag, error.CurrentEtag);
        Assert.Contains(grain.ToString(), error.Message, StringComparison.Ordinal);
        Assert.Equal(staleETag, stale.ETag);
        var read = await ReadAsync(grain);
        Assert.Equal("latest", read.State!.Name);
        Assert.Equal(state.ETag, read.ETag);
    }

    [Fact]
    public async Task A_write_with_an_etag_this_storage_never_issued_conflicts()
    {
        var grain = GrainStorageHarness.NewGrain();
        await storage.WriteStateAsync(StateName, grain, new GrainState<TestState> { State = new TestState { Name = "kept" } });

        await Assert.ThrowsAsync<InconsistentStateException>(() =>
            storage.WriteStateAsync(StateName, grain, new GrainState<TestState> { State = new TestState(), ETag = "W/\"datetime'2026'\"" }));

        Assert.Equal("kept", (await ReadAsync(grain)).State!.Name);
    }

    [Fact]
    public async Task A_first_write_conflicts_when_the_state_already_exists()
    {
        var grain = GrainStorageHarness.NewGrain();
        var first = new GrainState<TestState> { State = new TestState { Name = "first" } };
        await storage.WriteStateAsync(StateName, grain, first);

        // A second activation that never read the state writes as if it were new.
        var second = new GrainState<TestState> { State = new TestState { Name = "second" } };
        var error = await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, grain, second));

        Assert.Equal(first.ETag, error.StoredEtag);
        Assert.Null(error.CurrentEtag);
        Assert.Equal("first", (await ReadAsync(grain)).State!.Name);
    }

    [Fact]
    public async Task A_clear_with_a_stale_etag_throws_InconsistentStateException_and_keeps_the_state()
    {
        var grain = GrainStorageHarness.NewGrain();
        var state = new GrainState<TestState> { State = new TestState { Name = "v1" } };
        await storage.WriteStateAsync(StateName, grain, state);
        var staleETag = state.ETag;
        state.State!.Name = "v2";
        await storage.WriteStateAsync(StateName, grain, state);

        var stale = new GrainState<TestState> { State = new TestState(), ETag = staleETag, RecordExists = true };
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync(StateName, grain, stale));
        // A clear that never saw the stored state conflicts too.
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync(StateName, grain, new GrainState<TestState> { State = new TestState() }));

        var read = await ReadAsync(grain);
        Assert.Equal("v2", read.State!.Name);
        Assert.True(read.RecordExists);
        Assert.Equal(state.ETag, read.ETag);
    }

    [Fact]
    public async Task Clearing_a_state_never_written_succeeds_and_resets_the_state()
    {
        var state = new GrainState<TestState> { State = new TestState { Name = "in memory" }, RecordExists = true };

        await storage.ClearStateAsync(StateName, GrainStorageHarness.NewGrain(), state);

        Assert.False(state.RecordExists);
        Assert.Null(state.ETag);
        Assert.Null(state.State!.Name);
    }

    [Fact]
    public async Task A_cleared_state_reads_as_new_but_keeps_an_etag_that_fences_stale_writers()
    {
        var grain = GrainStorageHarness.NewGrain();
        var state = new GrainState<TestState> { State = new TestState { Name = "gone soon" } };
        await storage.WriteStateAsync(StateName, grain, state);
        var written = state.ETag;

        await storage.ClearStateAsync(StateName, grain, state);

        Assert.False(state.RecordExists);
        Assert.NotNull(state.ETag);
        Assert.NotEqual(written, state.ETag);
        Assert.Null(state.State!.Name);
        var read = await ReadAsync(grain);
        Assert.False(read.RecordExists);
        Assert.Equal(state.ETag, read.ETag);
        Assert.Null(read.State!.Name);
        await Assert.ThrowsAsync<InconsistentStateException>(() =>
            storage.WriteStateAsync(StateName, grain, new GrainState<TestState> { State = new TestState { Name = "stale" }, ETag = written }));
        await Assert.ThrowsAsync<InconsistentStateException>(() =>
            storage.WriteStateAsync(StateName, grain, new GrainState<TestState> { State = new TestState { Name = "blind" } }));

        read.State!.Name = "after clear";
        await storage.WriteStateAsync(StateName, grain, read);
        Assert.Equal("after clear", (await ReadAsync(grain)).State!.Name);
    }

    [Fact]
    public async Task With_DeleteStateOnClear_the_row_goes_and_old_etags_stay_stale()
    {
        await using var deleting = new GrainStorageHarness(database, o => o.DeleteStateOnClear = true, "service", "deleting");
        var store = await deleting.StartAsync("deleting");
        var grain = GrainStorageHarness.NewGrain();
        var state = new GrainState<TestState> { State = new TestState { Name = "v1" } };
        await store.WriteStateAsync(StateName, grain, state);
        var written = state.ETag;

        await store.ClearStateAsync(StateName, grain, state);

        Assert.Null(state.ETag);
        Assert.False(state.RecordExists);
        Assert.Equal(0L, database.Scalar("SELECT count(*) FROM orleans_grain_state WHERE state_name = 'state' AND grain_id = '" + grain + "';"));
        await Assert.ThrowsAsync<InconsistentStateException>(() =>
            store.WriteStateAsync(StateName, grain, new GrainState<TestState> { State = new TestState(), ETag = written }));
        await store.WriteStateAsync(StateName, grain, state);
        Assert.NotEqual(written, state.ETag);
    }

    [Fact]
    public async Task States_are_kept_apart_by_state_name_service_and_grain()
    {
        await using var otherService = new GrainStorageHarness(database, serviceId: "other-service");
        var other = await otherService.StartAsync();
        var grain = GrainStorageHarness.NewGrain();
        await storage.WriteStateAsync("a", grain, new GrainState<TestState> { State = new TestState { Name = "a" } });
        await storage.WriteStateAsync("b", grain, new GrainState<TestState> { State = new TestState { Name = "b" } });
        await other.WriteStateAsync("a", grain, new GrainState<TestState> { State = new TestState { Name = "other" } });

        Assert.Equal("a", (await ReadAsync(grain, "a")).State!.Name);
        Assert.Equal("b", (await ReadAsync(grain, "b")).State!.Name);
        Assert.False((await ReadAsync(GrainStorageHarness.NewGrain(), "a")).RecordExists);
        var otherRead = new GrainState<TestState>();
        await other.ReadStateAsync("a", grain, otherRead);
        Assert.Equal("other", otherRead.State!.Name);
    }

    [Fact]
    public async Task A_1_MiB_state_round_trips()
    {
        var grain = GrainStorageHarness.NewGrain();
        var blob = new byte[1024 * 1024];
        new Random(7).NextBytes(blob);

        await storage.WriteStateAsync(StateName, grain, new GrainState<TestState> { State = new TestState { Blob = blob } });
        var read = await ReadAsync(grain);

        Assert.Equal(blob, read.State!.Blob);
    }

    [Fact]
    public async Task Concurrent_writes_with_the_same_etag_let_exactly_one_win()
    {
        var grain = GrainStorageHarness.NewGrain();
        var initial = new GrainState<TestState> { State = new TestState() };
        await storage.WriteStateAsync(StateName, grain, initial);

        var attempts = Enumerable.Range(1, 20).Select(async i =>
        {
            var state = new GrainState<TestState> { State = new TestState { Count = i }, ETag = initial.ETag, RecordExists = true };
            try
            {
                await storage.WriteStateAsync(StateName, grain, state);
                return i;
            }
            catch (InconsistentStateException)
            {
                return 0;
            }
        });
        var winners = (await Task.WhenAll(attempts)).Where(i => i != 0).ToArray();

        var winner = Assert.Single(winners);
        Assert.Equal(winner, (await ReadAsync(grain)).State!.Count);
    }

    [Fact]
    public async Task Concurrent_writes_are_grouped_into_fewer_transactions_and_all_land()
    {
        var grains = Enumerable.Range(0, 500).Select(_ => GrainStorageHarness.NewGrain()).ToArray();
        var writer = storage.Store.Writer;
        var transactionsBefore = writer.Transactions;

        await Task.WhenAll(grains.Select((grain, i) =>
            storage.WriteStateAsync(StateName, grain, new GrainState<TestState> { State = new TestState { Count = i } })));

        Assert.True(writer.Transactions - transactionsBefore < grains.Length, $"{writer.Transactions - transactionsBefore} transactions for {grains.Length} writes");
        for (var i = 0; i < grains.Length; i += 50)
            Assert.Equal(i, (await ReadAsync(grains[i])).State!.Count);
    }

    [Fact]
    public async Task Named_storages_on_one_file_share_one_writer()
    {
        await using var two = new GrainStorageHarness(database, names: ["replicas", "Default"]);
        var replicas = await two.StartAsync("replicas");
        var defaults = await two.StartAsync("Default");

        Assert.Same(replicas.Store.Writer, defaults.Store.Writer);
        Assert.Same(storage.Store.Writer, replicas.Store.Writer);
    }

    [Fact]
    public async Task Scheduled_checkpoints_copy_the_WAL_into_the_database_and_truncate_it()
    {
        using var db = new TempDatabase();
        await using var checkpointing = new GrainStorageHarness(db, o =>
        {
            o.CheckpointInterval = TimeSpan.FromMilliseconds(100);
            o.JournalSizeLimit = 1L << 30; // only the scheduled TRUNCATE checkpoint shrinks the file
            o.AutoCheckpointPages = 100_000;
        });
        var store = await checkpointing.StartAsync();
        var payload = new byte[1024];
        await Task.WhenAll(Enumerable.Range(0, 2000).Select(i =>
            store.WriteStateAsync(StateName, GrainStorageHarness.NewGrain(), new GrainState<TestState> { State = new TestState { Count = i, Blob = payload } })));
        var wal = new FileInfo(db.Path + "-wal");

        // 2 MB went through the WAL; with autocheckpoint and journal_size_limit out of the way, only
        // the scheduled TRUNCATE checkpoint brings the file back to 0 bytes.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (new FileInfo(wal.FullName).Length > 0 && DateTime.UtcNow < deadline)
            await Task.Delay(50);

        Assert.Equal(0, new FileInfo(wal.FullName).Length);
        Assert.Equal(2000L, db.Scalar("SELECT count(*) FROM orleans_grain_state;"));
    }

    [Theory]
    [InlineData(1, 2_000)]
    [InlineData(3, 10_000)]
    [InlineData(64, 500)]
    public async Task Write_throughput_with_group_commit(int writers, int writesEach)
    {
        var writer = storage.Store.Writer;
        var transactionsBefore = writer.Transactions;
        var clock = Stopwatch.StartNew();

        // Each writer updates its own grain, one write at a time, as a replica grain would.
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var grain = GrainStorageHarness.NewGrain();
            var state = new GrainState<TestState> { State = new TestState { Name = "replica", Blob = new byte[100] } };
            for (var i = 0; i < writesEach; i++)
            {
                state.State!.Count = i;
                await storage.WriteStateAsync(StateName, grain, state);
            }
        })));

        clock.Stop();
        var rows = writers * writesEach;
        var transactions = writer.Transactions - transactionsBefore;
        output.WriteLine($"{writers} writers x {writesEach} writes: {rows / clock.Elapsed.TotalSeconds:N0} rows/s, {transactions} transactions ({(double)rows / transactions:N2} rows each), {clock.Elapsed.TotalMilliseconds:N0} ms");
        Assert.True(transactions <= rows);
        if (writers > 1)
            Assert.True(transactions < rows, "concurrent writes were not grouped");
    }

    [Fact]
    public async Task Using_the_storage_before_the_silo_started_it_says_so()
    {
        await using var fresh = new GrainStorageHarness(database, names: "unstarted");
        var unstarted = fresh.Resolve("unstarted");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            unstarted.WriteStateAsync(StateName, GrainStorageHarness.NewGrain(), new GrainState<TestState> { State = new TestState() }));
        Assert.Contains("not started", error.Message, StringComparison.Ordinal);
    }

    private async Task<GrainState<TestState>> ReadAsync(GrainId grain, string stateName = StateName)
    {
        var state = new GrainState<TestState>();
        await storage.ReadStateAsync(stateName, grain, state);
        return state;
    }
}
