using Orleans.Concurrency;

namespace Comet.Grains;

/// <summary>
/// The SDK's way in: a stateless worker on the gateway silo the client is connected to, which
/// hands the request to that silo's <see cref="Coordinator"/>. The caller is the API key the
/// incoming call filter verified (<see cref="CallerContext"/>).
/// </summary>
[StatelessWorker]
public sealed class CoordinatorGrain(Coordinator coordinator) : Grain, ICoordinatorGrain
{
    public Task<PutResult> PutAsync(PutCommand command) => coordinator.PutAsync(command, CallerContext.Current());

    public Task<GetResult> GetAsync(GetCommand command) => coordinator.GetAsync(command, CallerContext.Current());

    public Task<PutResult> DeleteAsync(DeleteCommand command) => coordinator.DeleteAsync(command, CallerContext.Current());

    public Task<HistoryResult> HistoryAsync(HistoryQuery query) => coordinator.HistoryAsync(query);
}
