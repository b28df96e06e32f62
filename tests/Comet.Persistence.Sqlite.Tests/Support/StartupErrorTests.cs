using Comet.Persistence.Sqlite.Tests.Clustering;
using Comet.Persistence.Sqlite.Tests.Storage;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime;

namespace Comet.Persistence.Sqlite.Tests;

/// <summary>Bad options and unusable files fail at start-up with a typed error that names the path and the fix.</summary>
public sealed class StartupErrorTests : IDisposable
{
    private readonly TempDatabase database = new();
    private readonly string blocker;

    public StartupErrorTests()
    {
        // A regular file where the database's directory should be: unwritable even for root.
        Directory.CreateDirectory(database.Directory);
        blocker = Path.Combine(database.Directory, "not-a-directory");
        File.WriteAllText(blocker, "x");
    }

    private string Unwritable => Path.Combine(blocker, "data", "comet.db");

    public void Dispose() => database.Dispose();

    [Fact]
    public async Task Grain_storage_on_an_unwritable_path_fails_to_start_naming_the_path_and_the_option()
    {
        using var db = new TempDatabase();
        await using var harness = new GrainStorageHarness(db, o => o.DataSource = Unwritable);

        var error = await Assert.ThrowsAsync<SqliteStoreException>(() => harness.StartAsync());

        Assert.Equal(SqliteStoreError.CannotOpen, error.Error);
        Assert.Equal(Unwritable, error.DataSource);
        Assert.Contains(Unwritable, error.Message, StringComparison.Ordinal);
        Assert.Contains("grain storage 'test'", error.Message, StringComparison.Ordinal);
        Assert.Contains("SqliteGrainStorageOptions.DataSource", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Membership_table_on_an_unwritable_path_fails_to_initialize_naming_the_path()
    {
        using var table = new SqliteMembershipTable(
            Options.Create(new SqliteClusteringOptions { DataSource = Unwritable }),
            Options.Create(new ClusterOptions { ClusterId = "c", ServiceId = "s" }),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<SqliteMembershipTable>.Instance);

        var error = await Assert.ThrowsAsync<SqliteStoreException>(() => table.InitializeMembershipTable(true));

        Assert.Equal(SqliteStoreError.CannotOpen, error.Error);
        Assert.Contains(Unwritable, error.Message, StringComparison.Ordinal);
        Assert.Contains("SqliteClusteringOptions.DataSource", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reminder_table_on_an_unwritable_path_fails_to_start_naming_the_path()
    {
        using var table = new SqliteReminderTable(
            Options.Create(new SqliteReminderTableOptions { DataSource = Unwritable }),
            Options.Create(new ClusterOptions { ClusterId = "c", ServiceId = "s" }));

        var error = await Assert.ThrowsAsync<SqliteStoreException>(() => table.StartAsync());

        Assert.Equal(SqliteStoreError.CannotOpen, error.Error);
        Assert.Contains("SqliteReminderTableOptions.DataSource", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_data_source_that_is_a_directory_is_refused()
    {
        await using var harness = new GrainStorageHarness(database, o => o.DataSource = database.Directory);

        var error = await Assert.ThrowsAsync<SqliteStoreException>(() => harness.StartAsync());

        Assert.Equal(SqliteStoreError.CannotOpen, error.Error);
        Assert.Contains("is a directory", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_that_is_not_a_database_is_reported_as_such()
    {
        await File.WriteAllTextAsync(database.Path, new string('x', 8192));
        await using var harness = new GrainStorageHarness(database);

        var error = await Assert.ThrowsAsync<SqliteStoreException>(() => harness.StartAsync());

        Assert.Equal(SqliteStoreError.NotADatabase, error.Error);
        Assert.Contains(database.Path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_data_source_fails_validation_naming_the_option()
    {
        await using var harness = new GrainStorageHarness(database, o => o.DataSource = "");

        var error = Assert.Throws<OrleansConfigurationException>(harness.Validate);

        Assert.Contains("SqliteGrainStorageOptions.DataSource is required", error.Message, StringComparison.Ordinal);
        Assert.Contains("grain storage 'test'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(":memory:")]
    [InlineData("file:comet.db?mode=memory")]
    [InlineData("Data Source=comet.db;Cache=Shared")]
    public void A_data_source_that_is_not_a_plain_file_path_fails_validation(string dataSource)
    {
        var validator = new SqliteClusteringOptionsValidator(Options.Create(new SqliteClusteringOptions { DataSource = dataSource }));

        var error = Assert.Throws<OrleansConfigurationException>(validator.ValidateConfiguration);

        Assert.Contains("must be a plain file path", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Out_of_range_options_fail_validation_naming_the_option()
    {
        var reminders = new SqliteReminderTableOptionsValidator(Options.Create(new SqliteReminderTableOptions { DataSource = "x.db", BusyTimeout = TimeSpan.Zero }));
        Assert.Contains("SqliteReminderTableOptions.BusyTimeout", Assert.Throws<OrleansConfigurationException>(reminders.ValidateConfiguration).Message, StringComparison.Ordinal);

        var storage = new SqliteGrainStorageOptionsValidator(new SqliteGrainStorageOptions { DataSource = "x.db", WriteBatchMaxRows = 0, GrainStorageSerializer = new Orleans.Storage.JsonGrainStorageSerializer(null!) }, "replicas");
        Assert.Contains("SqliteGrainStorageOptions.WriteBatchMaxRows", Assert.Throws<OrleansConfigurationException>(storage.ValidateConfiguration).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Valid_options_pass_validation_and_the_default_serializer_comes_from_the_container()
    {
        await using var harness = new GrainStorageHarness(database);

        harness.Validate();

        Assert.IsType<Orleans.Storage.OrleansGrainStorageSerializer>(harness.Options().GrainStorageSerializer);
    }
}
