using System.Collections.Concurrent;
using Comet.Sandbox;

namespace Comet.Sandbox.Tests.Support;

/// <summary>
/// An in-memory stand-in for the grid's neighbour calls: a fixed neighbour list, replies
/// computed per node, an optional asynchronous completion (so that handlers really suspend and
/// resume), failure injection, and a log of every call.
/// </summary>
internal sealed class FakeNeighbours : IAsoNeighbours
{
    public FakeNeighbours(params string[] nodes) => Nodes = nodes.Length == 0 ? ["n1", "n2", "n3", "n4"] : nodes;

    public IReadOnlyList<string> Nodes { get; set; }

    /// <summary>How a get is answered: (node, args) → value.</summary>
    public Func<string, AsoValue?, AsoValue?> GetReply { get; set; } = (node, _) => AsoValue.FromString("value@" + node);

    /// <summary>Complete calls asynchronously (after a thread-pool hop) instead of synchronously.</summary>
    public bool Async { get; set; }

    /// <summary>How long every call takes (a slow network).</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Where each call completed (the continuation resumes the handler there).</summary>
    public ConcurrentQueue<int> CompletionThreads { get; } = new();

    /// <summary>Complete every call on a dedicated new thread, so that the handler resumes there.</summary>
    public bool CompleteOnNewThread { get; set; }

    /// <summary>When set, every call waits for it (to hold a handler suspended).</summary>
    public TaskCompletionSource? Gate { get; set; }

    /// <summary>When set, get and put throw this.</summary>
    public Exception? Fail { get; set; }

    public ConcurrentQueue<string> Log { get; } = new();

    public ConcurrentQueue<(IReadOnlyList<string> Nodes, AsoValue Data)> Puts { get; } = new();

    public int LookupCalls;

    /// <summary>Calls that completed on another thread than the one that made them.</summary>
    public int ThreadSwitches;

    public async ValueTask<IReadOnlyList<string>> LookupAsync(AsoContext self, CancellationToken ct)
    {
        Interlocked.Increment(ref LookupCalls);
        Log.Enqueue("lookup");
        await Hop().ConfigureAwait(false);
        return Nodes;
    }

    public async ValueTask<IReadOnlyList<NeighbourReply>> GetAsync(AsoContext self, IReadOnlyList<string> nodes, AsoValue? args, CancellationToken ct)
    {
        Log.Enqueue("get " + string.Join(",", nodes));
        await Hop().ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        if (Fail is { } e)
        {
            throw e;
        }
        var replies = new List<NeighbourReply>();
        foreach (var node in nodes)
        {
            replies.Add(new NeighbourReply(node, true, GetReply(node, args), null));
        }
        return replies;
    }

    public async ValueTask<IReadOnlyList<NeighbourReply>> PutAsync(AsoContext self, IReadOnlyList<string> nodes, AsoValue data, CancellationToken ct)
    {
        Log.Enqueue("put " + string.Join(",", nodes));
        await Hop().ConfigureAwait(false);
        if (Fail is { } e)
        {
            throw e;
        }
        Puts.Enqueue((nodes, data));
        var replies = new List<NeighbourReply>();
        foreach (var node in nodes)
        {
            replies.Add(node == "down" ? new NeighbourReply(node, false, null, "unreachable") : new NeighbourReply(node, true, null, null));
        }
        return replies;
    }

    private async Task Hop()
    {
        if (Gate is { } gate)
        {
            await gate.Task.ConfigureAwait(false);
        }
        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay).ConfigureAwait(false);
        }
        if (Async)
        {
            await Task.Run(() => { }).ConfigureAwait(false);
        }
        int before = Environment.CurrentManagedThreadId;
        if (CompleteOnNewThread)
        {
            // Continuations run synchronously on the completing thread: the handler resumes on it.
            var done = new TaskCompletionSource();
            var thread = new Thread(() =>
            {
                Thread.Sleep(1);
                done.SetResult();
            }) { IsBackground = true };
            thread.Start();
            await done.Task.ConfigureAwait(false);
        }
        if (Environment.CurrentManagedThreadId != before)
        {
            Interlocked.Increment(ref ThreadSwitches);
        }
        CompletionThreads.Enqueue(Environment.CurrentManagedThreadId);
    }
}
