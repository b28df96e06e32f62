using System.Diagnostics;
using Comet.Persistence.Sqlite.Tests.Clustering;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Comet.Persistence.Sqlite.Tests;

/// <summary>How the providers wait for a lock another process holds.</summary>
public sealed class BusyLockTests : IDisposable
{
    private readonly TempDatabase database = new();

    public void Dispose() => database.Dispose();

    [Fact]
    public void Connections_poll_for_the_lock_with_the_short_busy_waiter()
    {
        using var connection = SqliteDatabase.Open(new SqliteClusteringOptions { DataSource = database.Path }, "test");

        Assert.True(SqliteBusyWaiter.Installed);
    }

    [Fact]
    public async Task A_change_blocked_past_BusyTimeout_by_another_connection_fails_with_Busy_and_changes_nothing()
    {
        using var table = new SqliteMembershipTable(
            Options.Create(new SqliteClusteringOptions { DataSource = database.Path, BusyTimeout = TimeSpan.FromMilliseconds(200) }),
            Options.Create(new ClusterOptions { ClusterId = "c", ServiceId = "s" }),
            NullLogger<SqliteMembershipTable>.Instance);
        await table.InitializeMembershipTable(true);
        using var other = new SqliteConnection($"Data Source={database.Path};Pooling=False");
        other.Open();
        SqliteDatabase.Execute(other, "BEGIN IMMEDIATE;");

        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<SqliteStoreException>(() => table.InsertRow(MembershipEntries.New(), new Orleans.TableVersion(1, "0")));
        clock.Stop();
        SqliteDatabase.Execute(other, "ROLLBACK;");

        Assert.Equal(SqliteStoreError.Busy, error.Error);
        Assert.Contains("BusyTimeout", error.Message, StringComparison.Ordinal);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(190), TimeSpan.FromSeconds(5));
        Assert.Empty((await table.ReadAll()).Members);
    }

    [Fact]
    public async Task A_change_waits_for_a_lock_released_within_BusyTimeout()
    {
        using var table = MembershipTableFixture.Create(database, "c");
        await table.InitializeMembershipTable(true);
        using var other = new SqliteConnection($"Data Source={database.Path};Pooling=False");
        other.Open();
        SqliteDatabase.Execute(other, "BEGIN IMMEDIATE;");

        var insert = table.InsertRow(MembershipEntries.New(), new Orleans.TableVersion(1, "0"));
        await Task.Delay(100);
        Assert.False(insert.IsCompleted);
        SqliteDatabase.Execute(other, "COMMIT;");

        Assert.True(await insert.WaitAsync(TimeSpan.FromSeconds(5)));
    }
}
