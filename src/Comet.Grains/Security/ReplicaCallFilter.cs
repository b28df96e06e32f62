using Comet.Abstractions.Errors;

namespace Comet.Grains;

/// <summary>
/// The grid's incoming call filter. Replica grains answer the silos only: a call that comes
/// from a client connected to a gateway (not from a grain, nor from code hosted in a silo) is
/// refused before it runs, so nobody outside the cluster can read an object's data without its
/// handlers or write a version without a coordinator. And every error a grid grain raises
/// leaves it as a plain <see cref="CometException"/> (code and message), whatever subtype the
/// sandbox or the store used inside.
/// </summary>
public sealed class ReplicaCallFilter : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var instance = context.TargetContext?.GrainInstance;
        if (instance is not (ReplicaGrain or CoordinatorGrain))
        {
            await context.Invoke().ConfigureAwait(true);
            return;
        }
        if (instance is ReplicaGrain && CallerContext.IsExternalClient(context.SourceId))
            throw new CometException(CometErrorCode.Forbidden, "Replica grains are internal to the cluster; use the coordinator (ICoordinatorGrain) or the REST gateway.");
        try
        {
            await context.Invoke().ConfigureAwait(true);
        }
        catch (CometException ex) when (ex.GetType() != typeof(CometException))
        {
            throw new CometException(ex.Code, ex.Message) { Context = ex.Context };
        }
    }
}
