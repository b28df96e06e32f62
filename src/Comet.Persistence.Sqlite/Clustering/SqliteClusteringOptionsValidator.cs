using Microsoft.Extensions.Options;
using Orleans;

namespace Comet.Persistence.Sqlite;

/// <summary>Checks <see cref="SqliteClusteringOptions"/> when the silo or client starts.</summary>
internal sealed class SqliteClusteringOptionsValidator(IOptions<SqliteClusteringOptions> options) : IConfigurationValidator
{
    public void ValidateConfiguration() => options.Value.Validate("SQLite clustering");
}
