using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Runtime;

namespace Comet.Persistence.Sqlite.Tests.Reminders;

/// <summary>Orleans's reminder table contract (the cases of its ReminderTableTestsBase), on SQLite.</summary>
public sealed class SqliteReminderTableTests : IAsyncLifetime
{
    private readonly TempDatabase database = new();
    private readonly SqliteReminderTable table;

    public SqliteReminderTableTests() => table = Create("service-" + Guid.NewGuid().ToString("N"));

    public Task InitializeAsync() => table.StartAsync();

    public Task DisposeAsync()
    {
        table.Dispose();
        database.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task An_upserted_reminder_reads_back_with_every_field_and_its_etag()
    {
        var reminder = NewReminder(NewGrain(), "foo/bar\\#b_a_z?");

        var etag = await table.UpsertRow(reminder);

        var read = await table.ReadRow(reminder.GrainId, reminder.ReminderName);
        Assert.NotNull(read);
        Assert.NotNull(etag);
        Assert.Equal(etag, read.ETag);
        Assert.Equal(reminder.GrainId, read.GrainId);
        Assert.Equal(reminder.ReminderName, read.ReminderName);
        Assert.Equal(reminder.StartAt, read.StartAt);
        Assert.Equal(DateTimeKind.Utc, read.StartAt.Kind);
        Assert.Equal(reminder.Period, read.Period);
    }

    [Fact]
    public async Task ReadRow_of_an_unknown_reminder_is_null()
    {
        Assert.Null(await table.ReadRow(NewGrain(), "nothing"));
    }

    [Fact]
    public async Task Every_upsert_returns_a_new_etag_and_replaces_the_reminder()
    {
        var reminder = NewReminder(NewGrain(), "r");
        var first = await table.UpsertRow(reminder);
        reminder.Period = TimeSpan.FromMinutes(5);
        reminder.StartAt = reminder.StartAt.AddHours(1);

        var second = await table.UpsertRow(reminder);

        Assert.NotEqual(first, second);
        var read = await table.ReadRow(reminder.GrainId, "r");
        Assert.Equal(second, read!.ETag);
        Assert.Equal(TimeSpan.FromMinutes(5), read.Period);
        Assert.Equal(reminder.StartAt, read.StartAt);
        Assert.Single((await table.ReadRows(reminder.GrainId)).Reminders);
    }

    [Fact]
    public async Task RemoveRow_with_a_stale_etag_or_wrong_name_fails_and_keeps_the_reminder()
    {
        var reminder = NewReminder(NewGrain(), "r");
        var stale = await table.UpsertRow(reminder);
        var current = await table.UpsertRow(reminder);

        Assert.False(await table.RemoveRow(reminder.GrainId, "r", stale!));
        Assert.False(await table.RemoveRow(reminder.GrainId, "other", current!));
        Assert.False(await table.RemoveRow(reminder.GrainId, "r", "not-an-etag"));

        Assert.Equal(current, (await table.ReadRow(reminder.GrainId, "r"))!.ETag);
    }

    [Fact]
    public async Task RemoveRow_with_the_current_etag_removes_the_reminder_once()
    {
        var reminder = NewReminder(NewGrain(), "r");
        var etag = await table.UpsertRow(reminder);

        Assert.True(await table.RemoveRow(reminder.GrainId, "r", etag!));
        Assert.False(await table.RemoveRow(reminder.GrainId, "r", etag!));
        Assert.Null(await table.ReadRow(reminder.GrainId, "r"));
    }

    [Fact]
    public async Task A_removed_and_re_added_reminder_never_gets_an_old_etag_back()
    {
        var reminder = NewReminder(NewGrain(), "r");
        var old = await table.UpsertRow(reminder);
        Assert.True(await table.RemoveRow(reminder.GrainId, "r", old!));

        var again = await table.UpsertRow(reminder);

        Assert.NotEqual(old, again);
        Assert.False(await table.RemoveRow(reminder.GrainId, "r", old!));
    }

    [Fact]
    public async Task Parallel_upserts_of_one_reminder_each_get_a_distinct_etag()
    {
        var grain = NewGrain();
        var etags = await Task.WhenAll(Enumerable.Range(1, 10).Select(i =>
        {
            var reminder = NewReminder(grain, "r");
            reminder.StartAt = reminder.StartAt.AddMilliseconds(i);
            return table.UpsertRow(reminder);
        }));

        Assert.Equal(10, etags.Distinct().Count());
        Assert.Single((await table.ReadRows(grain)).Reminders);
    }

    [Fact]
    public async Task ReadRows_of_a_grain_returns_its_reminders_only()
    {
        var grain = NewGrain();
        await table.UpsertRow(NewReminder(grain, "a"));
        await table.UpsertRow(NewReminder(grain, "b"));
        await table.UpsertRow(NewReminder(NewGrain(), "a"));

        var rows = await table.ReadRows(grain);

        Assert.Equal(["a", "b"], rows.Reminders.Select(r => r.ReminderName).Order());
        Assert.All(rows.Reminders, r => Assert.Equal(grain, r.GrainId));
    }

    [Fact]
    public async Task Range_reads_over_many_reminders_return_exactly_the_hashes_in_the_ring_range_including_wrap_around()
    {
        const int count = 1000;
        await Task.WhenAll(Enumerable.Range(0, count).Select(i => table.UpsertRow(NewReminder(NewGrain(), $"r{i}"))));
        var all = await table.ReadRows(0, uint.MaxValue);
        Assert.Equal(count, all.Reminders.Count);
        Assert.Equal(count, (await table.ReadRows(0, 0)).Reminders.Count);
        var hashes = all.Reminders.Select(r => r.GrainId.GetUniformHashCode()).ToArray();

        var random = new Random(42);
        var ranges = Enumerable.Range(0, 200).Select(_ => ((uint)random.NextInt64(0, 1L << 32), (uint)random.NextInt64(0, 1L << 32)))
            .Append((hashes[0], hashes[0])) // begin == end: the whole ring
            .Append((uint.MaxValue - 1, 5u))  // a wrap-around range near zero
            .Append((hashes[1], hashes[2]));  // bounds on stored hashes: begin excluded, end included
        foreach (var (begin, end) in ranges)
        {
            var expected = begin < end
                ? hashes.Where(h => h > begin && h <= end)
                : hashes.Where(h => h > begin || h <= end);

            var rows = await table.ReadRows(begin, end);

            Assert.Equal(expected.Order(), rows.Reminders.Select(r => r.GrainId.GetUniformHashCode()).Order());
        }
    }

    [Fact]
    public async Task The_grain_hash_column_is_indexed_for_range_reads()
    {
        await table.UpsertRow(NewReminder(NewGrain(), "r"));

        var plan = database.Column("EXPLAIN QUERY PLAN SELECT * FROM orleans_reminders WHERE service_id = 's' AND grain_hash > 1 AND grain_hash <= 2;", 3);

        Assert.Contains(plan, step => step.Contains("orleans_reminders_by_hash", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Services_sharing_a_file_see_and_clear_only_their_own_reminders()
    {
        using var other = Create("other-service");
        await other.StartAsync();
        var grain = NewGrain();
        await table.UpsertRow(NewReminder(grain, "mine"));
        await other.UpsertRow(NewReminder(grain, "theirs"));

        Assert.Equal("mine", Assert.Single((await table.ReadRows(grain)).Reminders).ReminderName);
        await table.TestOnlyClearTable();

        Assert.Empty((await table.ReadRows(0, 0)).Reminders);
        Assert.Equal("theirs", Assert.Single((await other.ReadRows(0, 0)).Reminders).ReminderName);
    }

    private SqliteReminderTable Create(string serviceId) => new(
        Options.Create(new SqliteReminderTableOptions { DataSource = database.Path }),
        Options.Create(new ClusterOptions { ClusterId = "cluster", ServiceId = serviceId }));

    private static GrainId NewGrain() =>
        GrainId.Create(GrainType.Create("my-remindable-grain"), GrainIdKeyExtensions.CreateGuidKey(Guid.NewGuid(), "foo/bar\\#baz?"));

    private static ReminderEntry NewReminder(GrainId grain, string name)
    {
        var now = DateTime.UtcNow;
        return new ReminderEntry
        {
            GrainId = grain,
            ReminderName = name,
            StartAt = new DateTime(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc),
            Period = TimeSpan.FromMinutes(1),
        };
    }
}
