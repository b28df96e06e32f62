using Orleans.Runtime.Services;

namespace Comet.Admin.Silos;

/// <summary>Addresses the admin grain service of one silo by its address.</summary>
public sealed class SiloAdminClient(IServiceProvider services) : GrainServiceClient<ISiloAdminService>(services), ISiloAdminClient
{
    public ISiloAdminService On(SiloAddress silo) => GetGrainService(silo);
}
