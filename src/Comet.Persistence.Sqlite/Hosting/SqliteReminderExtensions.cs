using Comet.Persistence.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Orleans.Hosting;

/// <summary>Reminders on a SQLite file, the way <c>UseAdoNetReminderService</c> / <c>UseAzureTableReminderService</c> do it.</summary>
public static class SqliteReminderExtensions
{
    /// <summary>Adds the reminder service with its table on SQLite.</summary>
    public static ISiloBuilder UseSqliteReminderService(this ISiloBuilder builder, Action<SqliteReminderTableOptions> configureOptions)
    {
        ArgumentNullException.ThrowIfNull(configureOptions);
        return builder.UseSqliteReminderService(ob => ob.Configure(configureOptions));
    }

    /// <summary>Adds the reminder service with its table on SQLite.</summary>
    public static ISiloBuilder UseSqliteReminderService(this ISiloBuilder builder, Action<OptionsBuilder<SqliteReminderTableOptions>>? configureOptions)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.UseSqliteReminderService(configureOptions);
        return builder;
    }

    /// <summary>Adds the reminder service with its table on SQLite.</summary>
    public static IServiceCollection UseSqliteReminderService(this IServiceCollection services, Action<OptionsBuilder<SqliteReminderTableOptions>>? configureOptions)
    {
        services.AddReminders();
        services.AddSingleton<IReminderTable, SqliteReminderTable>();
        configureOptions?.Invoke(services.AddOptions<SqliteReminderTableOptions>());
        services.ConfigureFormatter<SqliteReminderTableOptions>();
        services.AddSingleton<IConfigurationValidator, SqliteReminderTableOptionsValidator>();
        return services;
    }
}
