namespace Comet.Persistence.Sqlite;

/// <summary>
/// Options of the SQLite membership table (silos) and gateway list (clients and silos):
/// <c>siloBuilder.UseSqliteClustering(o => o.DataSource = "data/comet.db")</c>,
/// <c>clientBuilder.UseSqliteClustering(o => o.DataSource = "data/comet.db")</c>.
/// Rows are kept per <c>ClusterOptions.ClusterId</c>.
/// </summary>
public sealed class SqliteClusteringOptions : SqliteDatabaseOptions
{
}
