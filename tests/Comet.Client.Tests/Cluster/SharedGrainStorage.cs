using System.Collections.Concurrent;
using System.Globalization;
using Orleans.Serialization;
using Orleans.Storage;

namespace Comet.Client.Tests.Cluster;

/// <summary>
/// Grain storage that every silo of this process shares and that outlives any one of them, standing in for the
/// SQLite or Azure storage of a real cluster. Orleans's memory storage keeps state in grains, which die with
/// their silo, so a test that stops a silo and expects the data to survive needs this one. State is kept as
/// serialized bytes, so no silo shares an object with another.
/// </summary>
public sealed class SharedGrainStorage(Serializer serializer) : IGrainStorage
{
    private static readonly ConcurrentDictionary<(string Store, string State, GrainId Grain), (byte[] Bytes, long ETag)> Records = new();

    /// <summary>Keeps one test's records apart from another's (each cluster gets its own store name).</summary>
    public required string Store { get; init; }

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        if (Records.TryGetValue((Store, stateName, grainId), out var record))
        {
            grainState.State = serializer.Deserialize<T>(record.Bytes);
            grainState.ETag = record.ETag.ToString(CultureInfo.InvariantCulture);
            grainState.RecordExists = true;
        }
        return Task.CompletedTask;
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var key = (Store, stateName, grainId);
        var bytes = serializer.SerializeToArray(grainState.State);
        var written = Records.AddOrUpdate(key,
            _ => grainState.ETag is null ? (bytes, 1) : throw Stale(grainState.ETag, null),
            (_, current) => grainState.ETag == current.ETag.ToString(CultureInfo.InvariantCulture) ? (bytes, current.ETag + 1) : throw Stale(grainState.ETag, current.ETag));
        grainState.ETag = written.ETag.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        Records.TryRemove((Store, stateName, grainId), out _);
        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    private static InconsistentStateException Stale(string? given, long? stored) =>
        new($"Stale write: ETag {given ?? "(none)"}, stored {stored?.ToString(CultureInfo.InvariantCulture) ?? "(none)"}.");
}
