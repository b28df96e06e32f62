using Comet.Admin.Metrics;
using Comet.Admin.Silos;
using Comet.Gateway.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Hosting;

namespace Comet.Admin;

public static class AdminServices
{
    /// <summary>
    /// Registers the admin API's services on a silo's host, before it is built: its options
    /// (<c>Comet:Silo:Admin</c>), this silo's <see cref="SiloAdmin"/>, the operation metrics the REST
    /// gateway and the SDK's coordinator calls record into, and the per-silo admin grain service
    /// through which any silo's admin API reaches any other. Map the endpoints with
    /// <see cref="AdminHttp.MapCometAdmin"/> once the app is built.
    /// </summary>
    public static IServiceCollection AddCometAdmin(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<AdminOptions>()
            .Bind(configuration.GetSection("Comet:Silo:Admin"))
            .Validate(o =>
            {
                o.Validate();
                return true;
            })
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<SiloAdmin>();
        services.TryAddSingleton(sp => new OperationMetrics(sp.GetRequiredService<ILocalSiloDetails>().Name));
        services.AddSingleton<IIncomingGrainCallFilter, CoordinatorCallMetrics>();
        services.AddGrainService<SiloAdminService>();
        services.TryAddSingleton<ISiloAdminClient, SiloAdminClient>();
        return services;
    }
}
