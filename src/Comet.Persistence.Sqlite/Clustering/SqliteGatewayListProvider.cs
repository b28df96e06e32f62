using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Messaging;
using Orleans.Runtime;

namespace Comet.Persistence.Sqlite;

/// <summary>The gateways a client may connect to: the proxy endpoints of the cluster's Active silos, read from the membership table.</summary>
internal sealed class SqliteGatewayListProvider : IGatewayListProvider, IDisposable
{
    private readonly SqliteSession session;
    private readonly string clusterId;

    public SqliteGatewayListProvider(IOptions<SqliteClusteringOptions> options, IOptions<ClusterOptions> clusterOptions, IOptions<GatewayOptions> gatewayOptions)
    {
        session = new SqliteSession(options.Value, "the SQLite gateway list", SqliteSchema.Membership);
        clusterId = clusterOptions.Value.ClusterId;
        MaxStaleness = gatewayOptions.Value.GatewayListRefreshPeriod;
    }

    public TimeSpan MaxStaleness { get; }

    public bool IsUpdatable => true;

    public Task InitializeGatewayListProvider() => session.OpenAsync();

    public Task<IList<Uri>> GetGateways() => session.RunAsync<IList<Uri>>(connection =>
    {
        using var command = SqliteDatabase.Command(connection,
            "SELECT silo_address, proxy_port FROM orleans_membership WHERE cluster_id = $cluster AND status = $active AND proxy_port <> 0;",
            ("$cluster", clusterId), ("$active", (int)SiloStatus.Active));
        using var reader = command.ExecuteReader();
        var gateways = new List<Uri>();
        while (reader.Read())
            gateways.Add(MembershipRow.GatewayUri(SiloAddress.FromParsableString(reader.GetString(0)), reader.GetInt32(1)));
        return gateways;
    });

    public void Dispose() => session.Dispose();
}
