using Microsoft.Extensions.Options;
using Orleans;

namespace Comet.Persistence.Sqlite;

/// <summary>Checks <see cref="SqliteReminderTableOptions"/> when the silo starts.</summary>
internal sealed class SqliteReminderTableOptionsValidator(IOptions<SqliteReminderTableOptions> options) : IConfigurationValidator
{
    public void ValidateConfiguration() => options.Value.Validate("the SQLite reminder table");
}
