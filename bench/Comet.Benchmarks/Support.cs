using Comet.Sandbox;

namespace Comet.Benchmarks;

/// <summary>In-memory neighbours: three nodes, every get answers a small value.</summary>
internal sealed class InMemoryNeighbours : IAsoNeighbours
{
    private static readonly IReadOnlyList<string> Nodes = ["n1", "n2", "n3"];
    private static readonly AsoValue Reply = AsoValue.FromString("value");

    /// <summary>True: complete after a thread-pool hop (the handler really suspends and resumes on another thread).</summary>
    public bool Hop { get; init; }

    public ValueTask<IReadOnlyList<string>> LookupAsync(AsoContext self, CancellationToken ct) => new(Nodes);

    public ValueTask<IReadOnlyList<NeighbourReply>> GetAsync(AsoContext self, IReadOnlyList<string> nodes, AsoValue? args, CancellationToken ct)
    {
        if (Hop) return GetHopAsync(nodes);
        return new(Answer(nodes));
    }

    public ValueTask<IReadOnlyList<NeighbourReply>> PutAsync(AsoContext self, IReadOnlyList<string> nodes, AsoValue data, CancellationToken ct)
    {
        var replies = new NeighbourReply[nodes.Count];
        for (int i = 0; i < replies.Length; i++) replies[i] = new NeighbourReply(nodes[i], true, null, null);
        return new(replies);
    }

    private static async ValueTask<IReadOnlyList<NeighbourReply>> GetHopAsync(IReadOnlyList<string> nodes)
    {
        await Task.Yield();
        return Answer(nodes);
    }

    private static NeighbourReply[] Answer(IReadOnlyList<string> nodes)
    {
        var replies = new NeighbourReply[nodes.Count];
        for (int i = 0; i < replies.Length; i++) replies[i] = new NeighbourReply(nodes[i], true, Reply, null);
        return replies;
    }
}

internal static class Asos
{
    /// <summary>Default limits. (MaxNeighbourCallsPerSecond sizes a ring buffer: int.MaxValue throws OutOfMemoryException at the first call.)</summary>
    public static AsoSandboxOptions Options() => new();

    /// <summary>
    /// A runtime whose clock advances one second per reading, so the per-object neighbour-call rate
    /// limit (20/s) never trips in a benchmark loop. Handler timeouts use Stopwatch, not this clock.
    /// </summary>
    public static AsoRuntime Runtime() => new(Options(), new FastClock());

    private sealed class FastClock : IAsoClock
    {
        private long _now = 1_700_000_000_000;

        public long NowMilliseconds() => Interlocked.Add(ref _now, 1000);
    }

    public static AsoContext Context(string code, string key = "bench-key") => new("default", key, "n1", "127.0.0.1", code);

    public const string Trivial = "aso.value = 42\nfunction aso:onGet(caller) return self.value end";

    public const string Counter = "aso.count = 0\nfunction aso:onGet(caller)\n  self.count = self.count + 1\n  return self.count\nend";

    public const string OneNeighbourCall = """
        aso.value = 1
        function aso:onGet(caller)
          local nodes = comet.lookup()
          local replies = comet.get(comet.getASOKey(), {nodes[2]})
          return replies[1].value
        end
        """;

    /// <summary>A 20-line ASO with onPut, onGet, onUpdate (a small access-logging bag).</summary>
    public const string TwentyLines = """
        aso.value = "hello"
        aso.puts = 0
        aso.gets = 0
        aso.log = {}
        function aso:onPut(caller)
          self.puts = self.puts + 1
          local who = caller.id or "anonymous"
          self.log[#self.log + 1] = who
          if #self.log > 8 then table.remove(self.log, 1) end
          return true
        end
        function aso:onGet(caller)
          self.gets = self.gets + 1
          return {value = self.value, gets = self.gets}
        end
        function aso:onUpdate(caller, incoming)
          if incoming.value == nil then return false, "no value" end
          self.value = incoming.value
          return "keep"
        end
        """;

    /// <summary>About 1 KB encoded (1,03x bytes): 19 string fields of ~40 bytes, a nested array of 16 integers, a few scalars.</summary>
    public static AsoValue KilobyteState()
    {
        var entries = new List<(AsoValue, AsoValue)>();
        for (int i = 0; i < 19; i++)
        {
            entries.Add(($"field{i:D2}", $"some string value number {i:D2} ........."));
        }
        var items = new AsoValue[16];
        for (int i = 0; i < items.Length; i++) items[i] = (long)i * 1000;
        entries.Add(("items", AsoValue.Array(items)));
        entries.Add(("count", 12345L));
        entries.Add(("ratio", 0.75));
        entries.Add(("enabled", true));
        return AsoValue.Table([.. entries]);
    }
}
