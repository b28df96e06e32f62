using System.Diagnostics;
using Comet.Abstractions.Errors;
using Comet.Gateway.Metrics;
using Comet.Grains;

namespace Comet.Admin.Metrics;

/// <summary>
/// Counts the SDK's operations: clients call the coordinator grain on the gateway silo they are
/// connected to, so this incoming call filter times each call there and records it, with its
/// error code when it fails, in the same <see cref="OperationMetrics"/> the REST gateway records
/// into. (The REST gateway calls the coordinator in-process, not through this grain, so nothing
/// is counted twice.)
/// </summary>
public sealed class CoordinatorCallMetrics(OperationMetrics metrics) : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.TargetContext?.GrainInstance is not CoordinatorGrain)
        {
            await context.Invoke().ConfigureAwait(true);
            return;
        }
        var op = context.Request.GetArgument(0) switch
        {
            PutCommand => ClientOp.Put,
            DeleteCommand => ClientOp.Delete,
            HistoryQuery => ClientOp.History,
            _ => ClientOp.Get,
        };
        var started = Stopwatch.GetTimestamp();
        try
        {
            await context.Invoke().ConfigureAwait(true);
        }
        catch (CometException ex)
        {
            metrics.RecordError(ex.Code);
            throw;
        }
        finally
        {
            metrics.Record(op, Stopwatch.GetElapsedTime(started));
        }
    }
}
