using System.Net;
using Orleans;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService;

namespace Comet.Persistence.Sqlite.Tests.Clustering;

/// <summary>Orleans's membership table contract (the cases of its MembershipTableTestsBase), on SQLite.</summary>
public sealed class SqliteMembershipTableTests
{
    [Fact]
    public async Task A_new_table_is_empty_at_version_zero_with_an_etag()
    {
        await using var fixture = await MembershipTableFixture.StartAsync();

        var data = await fixture.Table.ReadAll();

        Assert.Empty(data.Members);
        Assert.Equal(0, data.Version.Version);
        Assert.NotNull(data.Version.VersionEtag);
    }

    [Fact]
    public async Task Initializing_again_keeps_existing_rows_and_version()
    {
        await using var fixture = await MembershipTableFixture.StartAsync();
        Assert.True(await fixture.Table.InsertRow(MembershipEntries.New(), (await fixture.Table.ReadAll()).Version.Next()));

        using var second = MembershipTableFixture.Create(fixture.Database, fixture.ClusterId);
        await second.InitializeMembershipTable(true);

        var data = await second.ReadAll();
        Assert.Single(data.Members);
        Assert.Equal(1, data.Version.Version);
    }

    [Fact]
    public async Task InsertRow_adds_the_entry_and_moves_the_table_version_to_the_one_given()
    {
        await using var fixture = await MembershipTableFixture.StartAsync();
        var before = await fixture.Table.ReadAll();
        var entry = MembershipEntries.New();

        Assert.True(await fixture.Table.InsertRow(entry, before.Version.Next()));

        var after = await fixture.Table.ReadAll();
        var (stored, etag) = Assert.Single(after.Members);
        Assert.Equal(entry.ToFullString(), stored.ToFullString());
        Assert.NotNull(etag);
        Assert.Equal(1, after.Version.Version);
        Assert.NotEqual(before.Version.VersionEtag, after.Version.VersionEtag);
    }

    [Fact]
    public async Task InsertRow_of_a_silo_already_in_the_table_fails_and_changes_nothing()
    {
        await using var fixture = await MembershipTableFixture.StartAsync();
        var entry = MembershipEntries.New();
        Assert.True(await fixture.Table.InsertRow(entry, (await fixture.Table.ReadAll()).Version.Next()));
        var before = await fixture.Table.ReadAll();

        var duplicate = MembershipEntries.New(SiloStatus.Active);
        duplicate.SiloAddress = entry.SiloAddress;
        Assert.False(await fixture.Table.InsertRow(duplicate, before.Version.Next()));

        var after = await fixture.Table.ReadAll();
        Assert.Equal(before.Version, after.Version);
        Assert.Equal(SiloStatus.Joining, Assert.Single(after.Members).Item1.Status);
    }

    [Fact]
    public async Task InsertRow_with_a_stale_table_version_fails_for_a_new_silo_too()
    {
        await using var fixture = await MembershipTableFixture.StartAsync();
        var used = (await fixture.Table.ReadAll()).Version.Next();
        Assert.True(await fixture.Table.InsertRow(MembershipEntries.New(), used));

        Assert.False(await fixture.Table.InsertRow(MembershipEntries.New(), used));
        Assert.False(await fixture.Table.InsertRow(MembershipEntries.New(), new TableVersion(5, "1")));
        Assert.False(await fixture.Table.InsertRow(MembershipEntries.New(), new TableVersion(2, "not-an-etag")));

        var data = await fixture.Table.ReadAll();
        Assert.Single(data.Members);
        Assert.Equal(1, data.Version.Version);
    }

    [Fact]
    public async Task UpdateRow_with_current_versions_replaces_every_field_and_changes_the_row_etag()
    {
        await using var fixture = await MembershipTableFixture.StartAsync();
        var entry = MembershipEntries.New();
        Assert.True(await fixture.Table.InsertRow(entry, (await fixture.Table.ReadAll()).Version.Next()));
        var read = await fixture.Table.ReadRow(entry.SiloAddress);
        var etag = Assert.Single(read.Members).Item2;

        var now = MembershipEntries.Truncate(DateTime.UtcNow);
        var changed = new MembershipEntry
        {
            SiloAddress = entry.SiloAddress,
            Status = SiloStatus.Active,
            HostName = "other-host",
            SiloName = "renamed",
            RoleName = "role",
            UpdateZone = 3,
            FaultZone = 4,
            ProxyPort = 30123,
            StartTime = now.AddMinutes(-1),
            IAmAliveTime = now,
            SuspectTimes = [Tuple.Create(MembershipEntries.NewSilo(22222), now.AddSeconds(1)), Tuple.Create(MembershipEntries.NewSilo(33333), now.AddSeconds(2))],
        };
        Assert.True(await fixture.Table.UpdateRow(changed, etag, read.Version.Next()));

        var after = await fixture.Table.ReadRow(entry.SiloAddress);
        var (stored, newETag) = Assert.Single(after.Members);
        Assert.Equal(changed.ToFullString(), stored.ToFullString());
        Assert.Equal(changed.RoleName, stored.RoleName);
        Assert.Equal(changed.UpdateZone, stored.UpdateZone);
        Assert.Equal(changed.FaultZone, stored.FaultZone);
        Assert.Equal(changed.SuspectTimes.Select(v => (v.Item1, v.Item2)), stored.SuspectTimes!.Select(v => (v.Item1, v.Item2)));
        Assert.Equal(DateTimeKind.Utc, stored.IAmAliveTime.Kind);
        Assert.NotEqual(etag, newETag);
        Assert.Equal(2, after.Version.Version);
    }

    [Fact]
    public async Task UpdateRow_with_a_stale_row_etag_fails_and_leaves_row_and_version_unchanged()
    {
        await using var fixture = await MembershipTableFixture.StartAsync();
        var entry = MembershipEntries.New();
        Assert.True(await fixture.Table.InsertRow(entry, (await fixture.Table.ReadAll()).Version.Next()));
        var first = await fixture.Table.ReadAll();
        var staleETag = first.Members[0].Item2;
        entry.Status = SiloStatus.Active;
        Assert.True(await fixture.Table.UpdateRow(entry, staleETag, first.Version.Next()));
        var before = await fixture.Table.ReadAll();

        var stale = MembershipEntries.New(SiloStatus.Dead);
        stale.SiloAddress = entry.SiloAddress;
        Assert.False(await fixture.Table.UpdateRow(stale, staleETag, before.Version.Next()));
        Assert.False(await fixture.Table.UpdateRow(stale, "garbage", before.Version.Next()));

        var after = await fixture.Table.ReadAll();
        Assert.Equal(before.Version, after.Version);
        Assert.Equal(SiloStatus.Active, after.Members[0].Item1.Status);
        Assert.Equal(before.Members[0].Item2, after.Members[0].Item2);
    }

    [Fact]
    public async Task UpdateRow_with_a_stale_table_version_fails_even_with_the_current_row_etag()
    {
        await using var fixture = await MembershipTableFixture.StartAsync();
        var entry = MembershipEntries.New();
        var used = (await fixture.Table.ReadAll()).Version.Next();
        Assert.True(await fixture.Table.InsertRow(entry, used));
        var etag = (await fixture.Table.ReadRow(entry.SiloAddress)).Members[0].Item2;

        entry.Status = SiloStatus.Active;
        Assert.False(await fixture.Table.UpdateRow(entry, etag, used));

        var after = await fixture.Table.ReadRow(entry.SiloAddress);
        Assert.Equal(SiloStatus.Joining, after.Members[0].Item1.Status);
        Assert.Equal(etag, after.Members[0].Item2);
        Assert.Equal(1, after.Version.Version);
    }

    [Fact]
    public async Task Table_version_grows_by_one_per_successful_change_only()
    {
        await using var fixture = await MembershipTableFixture.StartAsync();
        for (var i = 1; i <= 5; i++)
        {
            var data = await fixture.Table.ReadAll();
            Assert.Equal(i - 1, data.Version.Version);
            var entry = MembershipEntries.New();
            Assert.True(await fixture.Table.InsertRow(entry, data.Version.Next()));
            Assert.False(await fixture.Table.InsertRow(entry, (await fixture.Table.ReadAll()).Version.Next()));
        }

        var final = await fixture.Table.ReadAll();
        Assert.Equal(5, final.Version.Version);
        Assert.Equal(5, final.Members.Count);
    }

    [Fact]
    public async Task ReadRow_returns_that_silo_only_with_the_table_version_and_nothing_for_an_unknown_silo()
    {
        await using var fixture = await MembershipTableFixture.StartAsync();
        var first = MembershipEntries.New();
        var second = MembershipEntries.New();
        Assert.True(await fixture.Table.InsertRow(first, (await fixture.Table.ReadAll()).Version.Next()));
        Assert.True(await fixture.Table.InsertRow(second, (await fixture.Table.ReadAll()).Version.Next()));

        var row = await fixture.Table.ReadRow(second.SiloAddress);
        Assert.Equal(second.SiloAddress, Assert.Single(row.Members).Item1.SiloAddress);
        Assert.Equal(2, row.Version.Version);

        var missing = await fixture.Table.ReadRow(MembershipEntries.NewSilo());
        Assert.Empty(missing.Members);
        Assert.Equal(2, missing.Version.Version);
    }

    [Fact]
    public async Task Clusters_sharing_a_file_see_only_their_own_rows_and_versions()
    {
        await using var fixture = await MembershipTableFixture.StartAsync();
        using var other = MembershipTableFixture.Create(fixture.Database, "other-cluster");
        await other.InitializeMembershipTable(true);
        Assert.True(await fixture.Table.InsertRow(MembershipEntries.New(), (await fixture.Table.ReadAll()).Version.Next()));

        var otherData = await other.ReadAll();
        Assert.Empty(otherData.Members);
        Assert.Equal(0, otherData.Version.Version);
        Assert.True(await other.InsertRow(MembershipEntries.New(), otherData.Version.Next()));
        Assert.Single((await fixture.Table.ReadAll()).Members);
    }

    [Fact]
    public async Task UpdateIAmAlive_writes_only_the_IAmAlive_time()
    {
        await using var fixture = await MembershipTableFixture.StartAsync();
        var entry = MembershipEntries.New();
        Assert.True(await fixture.Table.InsertRow(entry, (await fixture.Table.ReadAll()).Version.Next()));
        var before = await fixture.Table.ReadRow(entry.SiloAddress);

        var alive = DateTime.UtcNow.AddSeconds(5);
        // What Orleans passes: only the address and the time.
        await fixture.Table.UpdateIAmAlive(new MembershipEntry { SiloAddress = entry.SiloAddress, IAmAliveTime = alive });

        var after = await fixture.Table.ReadRow(entry.SiloAddress);
        var (stored, etag) = Assert.Single(after.Members);
        Assert.Equal(alive, stored.IAmAliveTime);
        Assert.Equal(before.Members[0].Item2, etag);
        Assert.Equal(before.Version, after.Version);
        entry.IAmAliveTime = alive;
        Assert.Equal(entry.ToFullString(), stored.ToFullString());
    }

    [Fact]
    public async Task UpdateIAmAlive_of_a_silo_not_in_the_table_throws()
    {
        await using var fixture = await MembershipTableFixture.StartAsync();

        await Assert.ThrowsAsync<OrleansMissingMembershipEntryException>(() =>
            fixture.Table.UpdateIAmAlive(new MembershipEntry { SiloAddress = MembershipEntries.NewSilo(), IAmAliveTime = DateTime.UtcNow }));
    }

    [Fact]
    public async Task CleanupDefunctSiloEntries_removes_old_entries_that_are_not_active_and_keeps_the_version()
    {
        await using var fixture = await MembershipTableFixture.StartAsync();
        var fresh = MembershipEntries.New();
        Assert.True(await fixture.Table.InsertRow(fresh, (await fixture.Table.ReadAll()).Version.Next()));
        var oldActive = default(MembershipEntry);
        foreach (var status in Enum.GetValues<SiloStatus>())
        {
            var old = MembershipEntries.New(status);
            old.StartTime = old.StartTime.AddDays(-10);
            old.IAmAliveTime = old.IAmAliveTime.AddDays(-10);
            Assert.True(await fixture.Table.InsertRow(old, (await fixture.Table.ReadAll()).Version.Next()));
            if (status == SiloStatus.Active)
                oldActive = old;
        }
        var before = await fixture.Table.ReadAll();

        await fixture.Table.CleanupDefunctSiloEntries(DateTimeOffset.UtcNow.AddDays(-7));

        var after = await fixture.Table.ReadAll();
        Assert.Equal(
            new[] { fresh.SiloAddress, oldActive!.SiloAddress }.OrderBy(s => s.ToParsableString()),
            after.Members.Select(m => m.Item1.SiloAddress).OrderBy(s => s.ToParsableString()));
        Assert.Equal(before.Version, after.Version);
    }

    [Fact]
    public async Task DeleteMembershipTableEntries_removes_that_cluster_only()
    {
        await using var fixture = await MembershipTableFixture.StartAsync();
        using var other = MembershipTableFixture.Create(fixture.Database, "other-cluster");
        await other.InitializeMembershipTable(true);
        Assert.True(await fixture.Table.InsertRow(MembershipEntries.New(), (await fixture.Table.ReadAll()).Version.Next()));
        Assert.True(await other.InsertRow(MembershipEntries.New(), (await other.ReadAll()).Version.Next()));

        await fixture.Table.DeleteMembershipTableEntries(fixture.ClusterId);

        var deleted = await fixture.Table.ReadAll();
        Assert.Empty(deleted.Members);
        Assert.Equal(0, deleted.Version.Version);
        var kept = await other.ReadAll();
        Assert.Single(kept.Members);
        Assert.Equal(1, kept.Version.Version);
    }

    [Fact]
    public async Task Concurrent_inserts_of_one_silo_with_one_table_version_let_exactly_one_win()
    {
        await using var fixture = await MembershipTableFixture.StartAsync();
        var entry = MembershipEntries.New();
        var version = (await fixture.Table.ReadAll()).Version.Next();

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => fixture.Table.InsertRow(entry, version)));

        Assert.Single(results, ok => ok);
        Assert.Equal(1, (await fixture.Table.ReadAll()).Version.Version);
    }

    [Fact]
    public async Task Parallel_read_modify_update_loops_each_win_once_without_losing_an_update()
    {
        await using var fixture = await MembershipTableFixture.StartAsync();
        var entry = MembershipEntries.New();
        Assert.True(await fixture.Table.InsertRow(entry, (await fixture.Table.ReadAll()).Version.Next()));
        // Several tables on one file, as several silos would have.
        var tables = Enumerable.Range(0, 4).Select(_ => MembershipTableFixture.Create(fixture.Database, fixture.ClusterId)).ToArray();
        try
        {
            await Task.WhenAll(Enumerable.Range(0, 19).Select(async i =>
            {
                var table = tables[i % tables.Length];
                while (true)
                {
                    var data = await table.ReadRow(entry.SiloAddress);
                    var (current, etag) = data.Members[0];
                    current.UpdateZone++;
                    if (await table.UpdateRow(current, etag, data.Version.Next()))
                        return;
                }
            })).WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            foreach (var table in tables)
                table.Dispose();
        }

        var final = await fixture.Table.ReadAll();
        Assert.Equal(20, final.Version.Version);
        Assert.Equal(19, Assert.Single(final.Members).Item1.UpdateZone);
    }

    [Fact]
    public async Task Gateway_list_holds_the_proxy_endpoints_of_active_silos_only()
    {
        await using var fixture = await MembershipTableFixture.StartAsync();
        var entries = Enumerable.Range(0, 6).Select(_ => MembershipEntries.New()).ToArray();
        entries[1].Status = SiloStatus.Active;
        entries[2].Status = SiloStatus.Active;
        entries[2].ProxyPort = 0; // not a gateway
        entries[3].Status = SiloStatus.Active;
        entries[3].ProxyPort = 30333;
        entries[4].Status = SiloStatus.Dead;
        entries[5].Status = SiloStatus.ShuttingDown;
        foreach (var entry in entries)
            Assert.True(await fixture.Table.InsertRow(entry, (await fixture.Table.ReadAll()).Version.Next()));
        using var gateways = fixture.CreateGatewayListProvider(TimeSpan.FromSeconds(7));
        await gateways.InitializeGatewayListProvider();

        var list = await gateways.GetGateways();

        Assert.Equal(
            new[]
            {
                SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 30000), entries[1].SiloAddress.Generation).ToGatewayUri(),
                SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 30333), entries[3].SiloAddress.Generation).ToGatewayUri(),
            }.Select(u => u.ToString()).Order(),
            list.Select(u => u.ToString()).Order());
        Assert.Equal(TimeSpan.FromSeconds(7), gateways.MaxStaleness);
#pragma warning disable CS0618 // IsUpdatable is obsolete in Orleans 10 but still part of the interface.
        Assert.True(gateways.IsUpdatable);
#pragma warning restore CS0618
    }

    [Fact]
    public async Task Gateway_list_uses_the_silo_port_form_Orleans_tests_expect_when_the_proxy_port_equals_it()
    {
        await using var fixture = await MembershipTableFixture.StartAsync();
        var entry = MembershipEntries.New(SiloStatus.Active, proxyPort: 11111);
        Assert.True(await fixture.Table.InsertRow(entry, (await fixture.Table.ReadAll()).Version.Next()));
        using var gateways = fixture.CreateGatewayListProvider();
        await gateways.InitializeGatewayListProvider();

        var gateway = Assert.Single(await gateways.GetGateways());

        Assert.Equal(entry.SiloAddress.ToGatewayUri(), gateway);
    }
}
