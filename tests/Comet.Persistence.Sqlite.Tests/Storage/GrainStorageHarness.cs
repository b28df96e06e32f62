using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Storage;

namespace Comet.Persistence.Sqlite.Tests.Storage;

/// <summary>
/// SQLite grain storages registered the way a silo registers them (AddSqliteGrainStorage on a service
/// collection with Orleans's serializer), started and stopped as the silo lifecycle would.
/// </summary>
internal sealed class GrainStorageHarness : IAsyncDisposable
{
    private readonly ServiceProvider services;
    private readonly List<SqliteGrainStorage> started = [];

    public GrainStorageHarness(TempDatabase database, Action<SqliteGrainStorageOptions>? configure = null, string serviceId = "service", params string[] names)
    {
        Database = database;
        var collection = new ServiceCollection();
        collection.AddSerializer();
        collection.AddLogging();
        collection.Configure<ClusterOptions>(o => { o.ClusterId = "cluster"; o.ServiceId = serviceId; });
        // The grain storage serializer Orleans would register; the provider must pick it up from DI.
        collection.AddSingleton<IGrainStorageSerializer>(sp => new OrleansGrainStorageSerializer(sp.GetRequiredService<Serializer>()));
        foreach (var name in names.Length == 0 ? ["test"] : names)
        {
            collection.AddSqliteGrainStorage(name, ob => ob.Configure(o =>
            {
                o.DataSource = database.Path;
                configure?.Invoke(o);
            }));
        }
        services = collection.BuildServiceProvider();
    }

    public TempDatabase Database { get; }

    /// <summary>The storage named <paramref name="name"/>, as the silo resolves it (not started).</summary>
    public SqliteGrainStorage Resolve(string name = "test") => (SqliteGrainStorage)services.GetRequiredKeyedService<IGrainStorage>(name);

    /// <summary>The storage named <paramref name="name"/>, started.</summary>
    public async Task<SqliteGrainStorage> StartAsync(string name = "test")
    {
        var storage = Resolve(name);
        await storage.StartAsync(CancellationToken.None);
        started.Add(storage);
        return storage;
    }

    /// <summary>Runs the validators a silo runs at start.</summary>
    public void Validate()
    {
        foreach (var validator in services.GetServices<IConfigurationValidator>())
            validator.ValidateConfiguration();
    }

    public SqliteGrainStorageOptions Options(string name = "test") => services.GetRequiredService<IOptionsMonitor<SqliteGrainStorageOptions>>().Get(name);

    public static GrainId NewGrain() => GrainId.Create("test-grain", Guid.NewGuid().ToString("N"));

    public async ValueTask DisposeAsync()
    {
        foreach (var storage in started)
            await storage.StopAsync(CancellationToken.None);
        await services.DisposeAsync();
    }
}
