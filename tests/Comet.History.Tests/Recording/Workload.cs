using Comet.History.Tests.Checking;

namespace Comet.History.Tests.Recording;

/// <summary>
/// Issue 14's workload: each client loops read-modify-write cycles on a key of the <see cref="KeySpace"/>: GET the key,
/// then PUT a new unique value with the context that GET returned (its siblings resolved by the new value; a 404's
/// context when the key is new). A failed GET is not followed by a put. Values are <c>{client}.{n}</c>, unique in the run.
/// </summary>
internal sealed class Workload(IReadOnlyList<IKeyValueClient> clients)
{
    /// <summary>Pause of a client after a failure, so that a client does not spin against a silo that is down.</summary>
    private static readonly TimeSpan AfterFailure = TimeSpan.FromMilliseconds(50);

    public async Task RunAsync(KeySpace keys, CancellationToken stop)
    {
        await Task.WhenAll(clients.Select((client, i) => Task.Run(() => LoopAsync(client, keys, i, stop), CancellationToken.None)));
    }

    private static int _values;

    private static async Task LoopAsync(IKeyValueClient client, KeySpace keys, int seed, CancellationToken stop)
    {
        var random = new Random(seed * 7919 + Environment.TickCount);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var key = keys.Pick(random);
                var value = $"{client.Name}.{Interlocked.Increment(ref _values)}";
                if (keys.ClaimBlindWrite(key))
                {
                    await client.WriteAsync(key, value, read: null, CancellationToken.None);
                    continue;
                }
                var read = await client.ReadAsync(key, CancellationToken.None);
                if (read.Outcome != Outcome.Ok)
                {
                    await Task.Delay(AfterFailure, stop);
                    continue;
                }
                var write = await client.WriteAsync(key, value, read, CancellationToken.None);
                if (write.Outcome != Outcome.Ok) await Task.Delay(AfterFailure, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // The run is over (only pauses are cut short: an operation in flight always runs to its answer, so that
                // every write that may have been applied is in the history).
            }
        }
    }
}
