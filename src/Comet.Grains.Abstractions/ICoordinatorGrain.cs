namespace Comet.Grains;

/// <summary>
/// Dynamo's coordinator, a stateless worker on the silo that took the request: N/R/W, versions,
/// siblings, read repair. Clients of the SDK call it; the REST gateway calls the same
/// coordinator in-process. The caller's identity comes from the API key in the request context.
/// </summary>
public interface ICoordinatorGrain : IGrainWithIntegerKey
{
    Task<PutResult> PutAsync(PutCommand command);

    Task<GetResult> GetAsync(GetCommand command);

    Task<PutResult> DeleteAsync(DeleteCommand command);

    Task<HistoryResult> HistoryAsync(HistoryQuery query);
}
