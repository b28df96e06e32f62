using Orleans.Concurrency;

namespace Comet.Grains;

/// <summary>
/// The SDK's way in: a stateless worker on the gateway silo the client is connected to, which
/// hands the request to that silo's <see cref="Coordinator"/>. The caller is the API key the
/// incoming call filter verified (<see cref="CallerContext"/>).
/// </summary>
// Reentrant: it keeps no state (the Coordinator is a thread-safe singleton), and a non-reentrant worker would hold
// its turn while it awaits the replicas, so a silo would serve only ProcessorCount SDK requests at a time
// (bench/README.md measured the cap at 2 on this machine).
[StatelessWorker]
[Reentrant]
public sealed class CoordinatorGrain(Coordinator coordinator) : Grain, ICoordinatorGrain
{
    public Task<PutResult> PutAsync(PutCommand command) => coordinator.PutAsync(command, CallerContext.Current());

    public Task<GetResult> GetAsync(GetCommand command) => coordinator.GetAsync(command, CallerContext.Current());

    public Task<PutResult> DeleteAsync(DeleteCommand command) => coordinator.DeleteAsync(command, CallerContext.Current());

    public Task<HistoryResult> HistoryAsync(HistoryQuery query) => coordinator.HistoryAsync(query);
}
