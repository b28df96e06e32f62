using System.Reflection;
using Comet.Persistence.Sqlite.Tests.Clustering;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace Comet.Persistence.Sqlite.Tests.Cluster;

/// <summary>A real Orleans cluster whose membership, grain state and reminders all live in one SQLite file.</summary>
public sealed class ClusterOnSqliteTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    public const string StorageName = "replicas";
    private readonly TempDatabase database = new();

    public void Dispose() => database.Dispose();

    [Fact]
    public async Task Two_silos_on_one_sqlite_file_join_as_active_keep_grain_state_across_deactivation_and_fire_reminders()
    {
        var builder = new InProcessTestClusterBuilder(2);
        UseOwnMembership(builder.Options);
        var dataSource = database.Path;
        builder.ConfigureSilo((_, silo) => silo
            .UseSqliteClustering(o => o.DataSource = dataSource)
            .AddSqliteGrainStorage(StorageName, o => o.DataSource = dataSource)
            .UseSqliteReminderService(o => o.DataSource = dataSource));
        builder.ConfigureClient(client => client.UseSqliteClustering(o => o.DataSource = dataSource));
        var cluster = builder.Build();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            await cluster.DeployAsync();
            output.WriteLine($"deployed at {clock.ElapsedMilliseconds} ms");

            // Membership: both silos Active in the SQLite table, and both are the client's gateways.
            using var table = MembershipTableFixture.Create(database, builder.Options.ClusterId);
            var members = (await table.ReadAll()).Members.Select(m => m.Item1).ToArray();
            Assert.Equal(
                cluster.Silos.Select(s => s.SiloAddress).OrderBy(a => a.ToParsableString()),
                members.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress).OrderBy(a => a.ToParsableString()));

            // Grain state survives deactivation: the new activation reads it back from SQLite.
            var grain = cluster.Client.GetGrain<IPersistentCounterGrain>("key-1");
            await grain.SetValueAsync("hello");
            var first = await grain.GetActivationIdAsync();
            await grain.DeactivateAsync();
            Guid second;
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while ((second = await grain.GetActivationIdAsync()) == first && DateTime.UtcNow < deadline)
                await Task.Delay(50);
            Assert.NotEqual(first, second);
            Assert.Equal("hello", await grain.GetValueAsync());
            Assert.Equal(1L, database.Scalar("SELECT count(*) FROM orleans_grain_state WHERE state_name = 'counter' AND payload IS NOT NULL;"));

            output.WriteLine($"re-activated at {clock.ElapsedMilliseconds} ms");

            // A reminder registered in the SQLite reminder table fires.
            await grain.StartReminderAsync(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
            Assert.Equal(1L, database.Scalar("SELECT count(*) FROM orleans_reminders WHERE reminder_name = 'tick';"));
            deadline = DateTime.UtcNow.AddSeconds(20);
            while (await grain.GetReminderTicksAsync() == 0 && DateTime.UtcNow < deadline)
                await Task.Delay(100);
            Assert.True(await grain.GetReminderTicksAsync() >= 1, "the reminder never fired");
            output.WriteLine($"reminder fired at {clock.ElapsedMilliseconds} ms");
        }
        finally
        {
            await cluster.DisposeAsync();
            output.WriteLine($"stopped at {clock.ElapsedMilliseconds} ms");
        }
    }

    /// <summary>
    /// InProcessTestCluster registers its own in-memory membership table, gateway list and grain
    /// directory unless its internal UseTestClusterMembership option is off; the test needs the
    /// SQLite ones. Fails loudly if a TestingHost upgrade renames the option.
    /// </summary>
    private static void UseOwnMembership(InProcessTestClusterOptions options)
    {
        var property = typeof(InProcessTestClusterOptions).GetProperty("UseTestClusterMembership", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)
            ?? throw new InvalidOperationException("InProcessTestClusterOptions.UseTestClusterMembership is gone; find the new way to use the cluster's own membership table.");
        property.SetValue(options, false);
    }
}
