namespace Comet.Persistence.Sqlite.Tests.Cluster;

/// <summary>A grain whose state lives in the SQLite grain storage and whose reminder lives in the SQLite reminder table.</summary>
public interface IPersistentCounterGrain : IGrainWithStringKey
{
    Task SetValueAsync(string value);

    Task<string?> GetValueAsync();

    /// <summary>Identifies this activation, to tell a re-activation from the same one.</summary>
    Task<Guid> GetActivationIdAsync();

    /// <summary>Deactivates the grain once this call returns.</summary>
    Task DeactivateAsync();

    Task StartReminderAsync(TimeSpan dueTime, TimeSpan period);

    /// <summary>How many times the reminder fired (counted in the persisted state).</summary>
    Task<int> GetReminderTicksAsync();
}
