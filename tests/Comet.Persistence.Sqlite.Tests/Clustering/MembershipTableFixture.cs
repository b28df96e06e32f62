using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Comet.Persistence.Sqlite.Tests.Clustering;

/// <summary>A membership table (and gateway list) of a fresh cluster on a fresh file.</summary>
internal sealed class MembershipTableFixture : IAsyncDisposable
{
    private MembershipTableFixture(TempDatabase database, string clusterId)
    {
        Database = database;
        ClusterId = clusterId;
        Table = Create(database, clusterId);
    }

    public TempDatabase Database { get; }

    public string ClusterId { get; }

    public SqliteMembershipTable Table { get; }

    public static async Task<MembershipTableFixture> StartAsync()
    {
        var fixture = new MembershipTableFixture(new TempDatabase(), "cluster-" + Guid.NewGuid().ToString("N"));
        await fixture.Table.InitializeMembershipTable(true);
        return fixture;
    }

    /// <summary>Another table on the same file, as another silo or process would open it.</summary>
    public static SqliteMembershipTable Create(TempDatabase database, string clusterId) => new(
        Options.Create(new SqliteClusteringOptions { DataSource = database.Path }),
        Options.Create(new ClusterOptions { ClusterId = clusterId, ServiceId = "service" }),
        NullLogger<SqliteMembershipTable>.Instance);

    public SqliteGatewayListProvider CreateGatewayListProvider(TimeSpan? refreshPeriod = null) => new(
        Options.Create(new SqliteClusteringOptions { DataSource = Database.Path }),
        Options.Create(new ClusterOptions { ClusterId = ClusterId, ServiceId = "service" }),
        Options.Create(new GatewayOptions { GatewayListRefreshPeriod = refreshPeriod ?? TimeSpan.FromSeconds(60) }));

    public ValueTask DisposeAsync()
    {
        Table.Dispose();
        Database.Dispose();
        return ValueTask.CompletedTask;
    }
}
