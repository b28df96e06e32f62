namespace Comet.Persistence.Sqlite.Tests.Cluster;

/// <summary>The persisted state of <see cref="PersistentCounterGrain"/>.</summary>
[GenerateSerializer]
public sealed class CounterState
{
    [Id(0)]
    public string? Value { get; set; }

    [Id(1)]
    public int ReminderTicks { get; set; }
}

public sealed class PersistentCounterGrain(
    [PersistentState("counter", ClusterOnSqliteTests.StorageName)] IPersistentState<CounterState> state) : Grain, IPersistentCounterGrain, IRemindable
{
    private readonly Guid activationId = Guid.NewGuid();

    public async Task SetValueAsync(string value)
    {
        state.State.Value = value;
        await state.WriteStateAsync();
    }

    public Task<string?> GetValueAsync() => Task.FromResult(state.State.Value);

    public Task<Guid> GetActivationIdAsync() => Task.FromResult(activationId);

    public Task DeactivateAsync()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    public Task StartReminderAsync(TimeSpan dueTime, TimeSpan period) => this.RegisterOrUpdateReminder("tick", dueTime, period);

    public Task<int> GetReminderTicksAsync() => Task.FromResult(state.State.ReminderTicks);

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        state.State.ReminderTicks++;
        await state.WriteStateAsync();
    }
}
