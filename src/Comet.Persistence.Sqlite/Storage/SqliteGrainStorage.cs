using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace Comet.Persistence.Sqlite;

/// <summary>
/// Orleans grain storage on SQLite. A row per (service, state name, grain); its integer version is
/// the ETag. Writes go through the process's group-commit writer (<see cref="GrainStateWriter"/>)
/// as conditional statements, so a write or clear with a stale ETag throws
/// <see cref="InconsistentStateException"/> and changes nothing, even against another process.
/// </summary>
internal sealed partial class SqliteGrainStorage : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    private readonly string name;
    private readonly string owner;
    private readonly SqliteGrainStorageOptions options;
    private readonly string serviceId;
    private readonly IActivatorProvider activators;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private GrainStateStore? store;

    public SqliteGrainStorage(string name, SqliteGrainStorageOptions options, IOptions<ClusterOptions> clusterOptions,
        IActivatorProvider activators, ILogger<SqliteGrainStorage> logger, TimeProvider? time = null)
    {
        this.name = name;
        owner = $"grain storage '{name}'";
        this.options = options;
        serviceId = clusterOptions.Value.ServiceId;
        this.activators = activators;
        this.logger = logger;
        this.time = time ?? TimeProvider.System;
    }

    /// <summary>Creates the storage named <paramref name="name"/> from its named options (the factory <c>AddGrainStorage</c> calls).</summary>
    public static SqliteGrainStorage Create(IServiceProvider services, string name)
    {
        var options = services.GetRequiredService<IOptionsMonitor<SqliteGrainStorageOptions>>().Get(name);
        return ActivatorUtilities.CreateInstance<SqliteGrainStorage>(services, name, options);
    }

    /// <summary>The shared store, for tests that look at the writer.</summary>
    internal GrainStateStore Store => store ?? throw NotStarted();

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(OptionFormattingUtilities.Name<SqliteGrainStorage>(name), options.InitStage, StartAsync, StopAsync);

    /// <summary>Opens the database (creating its directory, file and table); fails naming the path if it cannot.</summary>
    internal async Task StartAsync(CancellationToken cancellationToken)
    {
        options.Validate(owner);
        store = await GrainStateStore.LeaseAsync(options, owner, time).ConfigureAwait(false);
        LogStarted(logger, name, SqliteDatabase.FullPath(options.DataSource));
    }

    /// <summary>Commits the writes already queued and releases the database.</summary>
    internal async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref store, null) is { } leased)
            await leased.ReleaseAsync().ConfigureAwait(false);
    }

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var stored = Store.Reader.Read(Key(stateName, grainId));
        if (stored is { Payload: { } payload } row)
        {
            grainState.State = options.GrainStorageSerializer.Deserialize<T>(new BinaryData(payload)) ?? CreateInstance<T>();
            grainState.ETag = ETag(row.Version);
            grainState.RecordExists = true;
        }
        else
        {
            // No row, or a cleared one (whose version the next write must name).
            grainState.State = CreateInstance<T>();
            grainState.ETag = stored is { } cleared ? ETag(cleared.Version) : null;
            grainState.RecordExists = false;
        }
        return Task.CompletedTask;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var expected = ParseETag(grainState.ETag, stateName, grainId, "Write");
        var payload = Serialize(grainState.State);
        var outcome = await Store.Writer.EnqueueAsync(new PendingStateWrite(Key(stateName, grainId), StateWriteKind.Write, expected, payload)).ConfigureAwait(false);
        if (!outcome.Applied)
            throw Conflict("Write", stateName, grainId, outcome.Version, grainState.ETag);
        grainState.ETag = ETag(outcome.Version!.Value);
        grainState.RecordExists = true;
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var expected = ParseETag(grainState.ETag, stateName, grainId, "Clear");
        var kind = options.DeleteStateOnClear ? StateWriteKind.Delete : StateWriteKind.Clear;
        var outcome = await Store.Writer.EnqueueAsync(new PendingStateWrite(Key(stateName, grainId), kind, expected, null)).ConfigureAwait(false);
        if (!outcome.Applied)
            throw Conflict("Clear", stateName, grainId, outcome.Version, grainState.ETag);
        grainState.ETag = outcome.Version is { } version ? ETag(version) : null;
        grainState.RecordExists = false;
        grainState.State = CreateInstance<T>();
    }

    private GrainStateKey Key(string stateName, GrainId grainId) => new(serviceId, stateName, grainId.ToString());

    private byte[] Serialize<T>(T state)
    {
        var data = options.GrainStorageSerializer.Serialize(state).ToMemory();
        // The Orleans serializers hand back a whole array: use it rather than copy 1 MiB states.
        return MemoryMarshal.TryGetArray(data, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : data.ToArray();
    }

    private T CreateInstance<T>() => activators.GetActivator<T>().Create();

    private static string ETag(long version) => version.ToString(CultureInfo.InvariantCulture);

    /// <summary>Our ETags are row versions; another provider's ETag can match no row, so it conflicts now.</summary>
    private long? ParseETag(string? etag, string stateName, GrainId grainId, string operation)
    {
        if (etag is null)
            return null;
        if (long.TryParse(etag, NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            return version;
        throw new InconsistentStateException(
            $"{operation} of state '{stateName}' of grain {grainId} in SQLite {owner} was rejected: ETag '{etag}' is not one this storage issued. Read the state again before writing it.",
            null, etag);
    }

    private InconsistentStateException Conflict(string operation, string stateName, GrainId grainId, long? stored, string? current)
    {
        var storedETag = stored is { } version ? ETag(version) : null;
        LogConflict(logger, operation, stateName, grainId, name, storedETag, current);
        return new InconsistentStateException(
            $"{operation} of state '{stateName}' of grain {grainId} in SQLite {owner} was rejected: the stored ETag is {storedETag ?? "none (no state stored)"} " +
            $"but the grain holds {current ?? "none (expects no state stored)"}. Another activation or process changed the state; nothing was written. Read the state again.",
            storedETag, current);
    }

    private static InvalidOperationException NotStarted() =>
        new("The SQLite grain storage is not started: it opens its database at silo start (or call StartAsync in tests).");

    [LoggerMessage(Level = LogLevel.Information, Message = "SQLite grain storage {Name} ready on {DataSource}")]
    private static partial void LogStarted(ILogger logger, string name, string dataSource);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Operation} of state {StateName} of {GrainId} in grain storage {Name} rejected: stored ETag {StoredETag}, grain ETag {CurrentETag}")]
    private static partial void LogConflict(ILogger logger, string operation, string stateName, GrainId grainId, string name, string? storedETag, string? currentETag);
}
