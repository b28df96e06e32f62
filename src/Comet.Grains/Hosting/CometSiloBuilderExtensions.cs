using Comet.Sandbox;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Hosting;

namespace Comet.Grains;

public static class CometSiloBuilderExtensions
{
    /// <summary>
    /// Adds the CometGrains grid to a silo: ring placement of replica grains, the coordinator,
    /// the Lua sandbox and the call filter that keeps replica grains internal. Grain storage
    /// named <see cref="CometStorage.Replicas"/> and a reminder service are configured separately
    /// (SQLite by default, Azure Table storage in the cloud).
    /// </summary>
    public static ISiloBuilder AddCometGrid(this ISiloBuilder builder, Action<CometGridOptions>? configure = null, Action<AsoSandboxOptions>? sandbox = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddPlacementDirector<RingPlacement, RingPlacementDirector>();
        builder.AddIncomingGrainCallFilter<ReplicaCallFilter>();
        builder.ConfigureServices(services =>
        {
            var options = services.AddOptions<CometGridOptions>();
            if (configure is not null) options.Configure(configure);
            options.Validate(o =>
            {
                o.Validate();
                return true;
            });
            // An object's timer reminder may be shorter than Orleans's one-minute floor when the operator asks for it.
            services.AddOptions<Orleans.Hosting.ReminderOptions>().Configure<IOptions<CometGridOptions>>((reminders, grid) =>
            {
                if (grid.Value.TimerReminderPeriod < reminders.MinimumReminderPeriod) reminders.MinimumReminderPeriod = grid.Value.TimerReminderPeriod;
            });
            var sandboxOptions = services.AddOptions<AsoSandboxOptions>();
            if (sandbox is not null) sandboxOptions.Configure(sandbox);
            services.TryAddSingleton(TimeProvider.System);
            services.TryAddSingleton<RingView>();
            services.TryAddSingleton(sp =>
            {
                var o = sp.GetRequiredService<IOptions<AsoSandboxOptions>>().Value;
                o.Validate();
                return new AsoRuntime(o);
            });
            services.TryAddSingleton<Coordinator>();
            services.AddOptions<Timers.TimerBudgetOptions>();
            services.TryAddSingleton(sp => new Timers.TimerBudget(sp.GetRequiredService<IOptions<Timers.TimerBudgetOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
            services.TryAddSingleton<AntiEntropy>();
            services.AddHostedService(sp => sp.GetRequiredService<AntiEntropy>());
        });
        return builder;
    }
}
