using Microsoft.Extensions.Configuration;

namespace Comet.Silo;

/// <summary>
/// Command-line flags of the silo executable, mapped onto configuration keys so that flags,
/// environment variables (<c>Comet__Silo__HttpPort</c>) and appsettings.json all bind the same options.
/// </summary>
public static class SiloCommandLine
{
    public static readonly Dictionary<string, string> Switches = new(StringComparer.Ordinal)
    {
        ["--silo-id"] = "Comet:Silo:SiloId",
        ["--host"] = "Comet:Silo:Host",
        ["--silo-port"] = "Comet:Silo:SiloPort",
        ["--gateway-port"] = "Comet:Silo:GatewayPort",
        ["--http-port"] = "Comet:Silo:HttpPort",
        ["--partitions"] = "Comet:Silo:Partitions",
        ["--data"] = "Comet:Storage:SqlitePath",
        ["--storage"] = "Comet:Storage:Provider",
        ["--azure-connection-string"] = "Comet:Storage:AzureConnectionString",
        ["--azure-table-endpoint"] = "Comet:Storage:AzureTableEndpoint",
        ["--azure-identity-client-id"] = "Comet:Storage:AzureManagedIdentityClientId",
        ["--azure-table-prefix"] = "Comet:Storage:AzureTableNamePrefix",
        ["--silos"] = "Comet:LocalCluster:Silos",
        ["--dev"] = "Comet:Silo:DevMode",
        ["--admin-key"] = "Comet:Silo:Admin:Key",
        ["--cluster-secret"] = "Comet:Silo:Security:ClusterSecret",
        ["--tls-certificate"] = "Comet:Silo:Security:CertificatePath",
        ["--tls-certificate-password"] = "Comet:Silo:Security:CertificatePassword",
    };

    public static IConfigurationBuilder AddCometCommandLine(this IConfigurationBuilder builder, string[] args) =>
        builder.AddCommandLine(args, Switches);
}
