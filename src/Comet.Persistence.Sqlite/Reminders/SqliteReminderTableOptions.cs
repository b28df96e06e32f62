namespace Comet.Persistence.Sqlite;

/// <summary>
/// Options of the SQLite reminder table: <c>siloBuilder.UseSqliteReminderService(o => o.DataSource = "data/comet.db")</c>.
/// Reminders are kept per <c>ClusterOptions.ServiceId</c>, so they survive a new cluster id.
/// </summary>
public sealed class SqliteReminderTableOptions : SqliteDatabaseOptions
{
}
