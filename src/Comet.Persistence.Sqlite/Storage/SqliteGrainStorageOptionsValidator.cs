using Orleans;

namespace Comet.Persistence.Sqlite;

/// <summary>Checks the <see cref="SqliteGrainStorageOptions"/> of one named grain storage when the silo starts.</summary>
internal sealed class SqliteGrainStorageOptionsValidator(SqliteGrainStorageOptions options, string name) : IConfigurationValidator
{
    public void ValidateConfiguration() => options.Validate($"grain storage '{name}'");
}
