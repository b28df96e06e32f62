using Comet.Persistence.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Messaging;

namespace Orleans.Hosting;

/// <summary>Cluster membership on a SQLite file, the way <c>UseAdoNetClustering</c> / <c>UseAzureStorageClustering</c> do it.</summary>
public static class SqliteClusteringExtensions
{
    /// <summary>Uses the SQLite membership table (and gateway list) on this silo.</summary>
    public static ISiloBuilder UseSqliteClustering(this ISiloBuilder builder, Action<SqliteClusteringOptions> configureOptions)
    {
        ArgumentNullException.ThrowIfNull(configureOptions);
        return builder.UseSqliteClustering(ob => ob.Configure(configureOptions));
    }

    /// <summary>Uses the SQLite membership table (and gateway list) on this silo.</summary>
    public static ISiloBuilder UseSqliteClustering(this ISiloBuilder builder, Action<OptionsBuilder<SqliteClusteringOptions>>? configureOptions)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSqliteClusteringOptions(configureOptions);
        builder.Services.AddSingleton<IMembershipTable, SqliteMembershipTable>();
        builder.Services.TryAddSingleton<IGatewayListProvider, SqliteGatewayListProvider>();
        return builder;
    }

    /// <summary>Finds gateways in the SQLite membership table the cluster's silos write.</summary>
    public static IClientBuilder UseSqliteClustering(this IClientBuilder builder, Action<SqliteClusteringOptions> configureOptions)
    {
        ArgumentNullException.ThrowIfNull(configureOptions);
        return builder.UseSqliteClustering(ob => ob.Configure(configureOptions));
    }

    /// <summary>Finds gateways in the SQLite membership table the cluster's silos write.</summary>
    public static IClientBuilder UseSqliteClustering(this IClientBuilder builder, Action<OptionsBuilder<SqliteClusteringOptions>>? configureOptions)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSqliteClusteringOptions(configureOptions);
        builder.Services.AddSingleton<IGatewayListProvider, SqliteGatewayListProvider>();
        return builder;
    }

    private static void AddSqliteClusteringOptions(this IServiceCollection services, Action<OptionsBuilder<SqliteClusteringOptions>>? configureOptions)
    {
        configureOptions?.Invoke(services.AddOptions<SqliteClusteringOptions>());
        services.ConfigureFormatter<SqliteClusteringOptions>();
        services.AddSingleton<IConfigurationValidator, SqliteClusteringOptionsValidator>();
    }
}
