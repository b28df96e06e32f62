using System.Collections.Concurrent;

namespace Comet.Client.Tests.Cluster;

/// <summary>
/// Fault injection on the silos of a <see cref="LoopbackCluster"/>: a grain call whose request context carries a
/// stall's marker is held at the silo, unanswered, until the test releases the stall. The marker travels the way
/// the SDK's own API key does (Orleans's request context, set in the caller's async flow).
/// </summary>
public static class StalledCalls
{
    public const string ContextKey = "comet-test.stall";

    private static readonly ConcurrentDictionary<string, Stall> Stalls = new(StringComparer.Ordinal);

    /// <summary>A new stall; calls made after <see cref="Stall.Apply"/> in this async flow wait for <see cref="Stall.Dispose"/>.</summary>
    public static Stall Begin() => Stalls.GetOrAdd(Guid.NewGuid().ToString("N"), static marker => new Stall(marker));

    public static async Task Filter(IIncomingGrainCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (RequestContext.Get(ContextKey) is string marker && Stalls.TryGetValue(marker, out var stall))
        {
            stall.Arrived();
            await stall.Released;
        }
        await context.Invoke();
    }

    public sealed class Stall(string marker) : IDisposable
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _arrived;

        /// <summary>Calls held so far.</summary>
        public int Held => Volatile.Read(ref _arrived);

        internal Task Released => _released.Task;

        internal void Arrived() => Interlocked.Increment(ref _arrived);

        /// <summary>Marks the calls this async flow makes from now on.</summary>
        public void Apply() => RequestContext.Set(ContextKey, marker);

        /// <summary>Lets the held calls go on, and stops holding new ones.</summary>
        public void Dispose()
        {
            Stalls.TryRemove(marker, out _);
            _released.TrySetResult();
        }
    }
}
