using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using Comet.Sandbox;

namespace Comet.Benchmarks;

/// <summary>A short job: 1 launch, 3 warm-up and 5 measured iterations (the machine is shared: numbers, not proofs).</summary>
public sealed class ShortConfig : ManualConfig
{
    public ShortConfig()
    {
        AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(5));
        AddDiagnoser(BenchmarkDotNet.Diagnosers.MemoryDiagnoser.Default);
    }
}

/// <summary>Handler calls on a resident object.</summary>
[Config(typeof(ShortConfig))]
public class SandboxBenchmarks
{
    private AsoRuntime _runtime = null!;
    private AsoObject _trivial = null!;
    private AsoObject _counter = null!;
    private AsoObject _neighbourSync = null!;
    private AsoObject _neighbourHop = null!;
    private readonly AsoCaller _caller = new("127.0.0.1", "bench-client", null, null);

    [GlobalSetup]
    public void Setup()
    {
        _runtime = Asos.Runtime();
        _trivial = _runtime.Load(Asos.Context(Asos.Trivial), [], new InMemoryNeighbours());
        _counter = _runtime.Load(Asos.Context(Asos.Counter), [], new InMemoryNeighbours());
        _neighbourSync = _runtime.Load(Asos.Context(Asos.OneNeighbourCall), [], new InMemoryNeighbours());
        _neighbourHop = _runtime.Load(Asos.Context(Asos.OneNeighbourCall), [], new InMemoryNeighbours { Hop = true });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _trivial.Dispose();
        _counter.Dispose();
        _neighbourSync.Dispose();
        _neighbourHop.Dispose();
        _runtime.Dispose();
    }

    /// <summary>onGet returning a field (target ≤ 1 µs).</summary>
    [Benchmark(Baseline = true)]
    public GetOutcome TrivialOnGet() => _trivial.OnGetAsync(_caller).GetAwaiter().GetResult();

    /// <summary>onGet incrementing a counter (state changes: re-encoded each call).</summary>
    [Benchmark]
    public GetOutcome CounterOnGet() => _counter.OnGetAsync(_caller).GetAwaiter().GetResult();

    /// <summary>onGet with comet.lookup + one comet.get; the fake completes synchronously.</summary>
    [Benchmark]
    public GetOutcome NeighbourCall_SyncFake() => _neighbourSync.OnGetAsync(_caller).GetAwaiter().GetResult();

    /// <summary>onGet with comet.lookup + one comet.get; the fake completes after a thread-pool hop (the coroutine suspends and resumes).</summary>
    [Benchmark]
    public async Task<GetOutcome> NeighbourCall_AsyncFake() => await _neighbourHop.OnGetAsync(_caller);
}

/// <summary>
/// onGet round-robin over many resident objects (the grid's case: 1,000 keys x 3 replicas), so each call finds
/// its ~25 KB Lua state cold in the CPU caches, unlike <see cref="SandboxBenchmarks"/> which reuses one object.
/// </summary>
[Config(typeof(ShortConfig))]
public class ManyObjectsBenchmarks
{
    private AsoRuntime _runtime = null!;
    private AsoObject[] _objects = [];
    private int _next;
    private readonly AsoCaller _caller = new("127.0.0.1", "bench-client", null, null);

    [Params(1, 3000)]
    public int Objects { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _runtime = Asos.Runtime();
        _objects = new AsoObject[Objects];
        for (int i = 0; i < _objects.Length; i++) _objects[i] = _runtime.Load(Asos.Context(Asos.Counter, "k" + i), [], new InMemoryNeighbours());
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var o in _objects) o.Dispose();
        _runtime.Dispose();
    }

    [Benchmark]
    public GetOutcome CounterOnGetRoundRobin()
    {
        var obj = _objects[_next];
        _next = _next + 1 == _objects.Length ? 0 : _next + 1;
        return obj.OnGetAsync(_caller).GetAwaiter().GetResult();
    }
}

/// <summary>Object life cycle: create the Lua state, run a 20-line chunk, onPut, dispose (target ≤ 150 µs).</summary>
[Config(typeof(ShortConfig))]
public class LifecycleBenchmarks
{
    private AsoRuntime _runtime = null!;
    private readonly InMemoryNeighbours _neighbours = new();
    private readonly AsoContext _context = Asos.Context(Asos.TwentyLines);
    private readonly AsoCaller _caller = new("127.0.0.1", "bench-client", null, null);
    private byte[] _persisted = [];

    [GlobalSetup]
    public void Setup()
    {
        _runtime = Asos.Runtime();
        using var obj = _runtime.Load(_context, [], _neighbours);
        obj.OnPutAsync(_caller).GetAwaiter().GetResult();
        _persisted = obj.EncodeState();
    }

    [GlobalCleanup]
    public void Cleanup() => _runtime.Dispose();

    [Benchmark(Baseline = true)]
    public HandlerOutcome CreateLoadOnPutDispose()
    {
        using var obj = _runtime.Load(_context, [], _neighbours);
        return obj.OnPutAsync(_caller).GetAwaiter().GetResult();
    }

    /// <summary>Re-activation: load with persisted state, one onGet, dispose.</summary>
    [Benchmark]
    public GetOutcome ActivateFromStateOnGetDispose()
    {
        using var obj = _runtime.Load(_context, _persisted, _neighbours);
        return obj.OnGetAsync(_caller).GetAwaiter().GetResult();
    }

    [Benchmark]
    public void ValidateCode() => AsoRuntime.ValidateCode(Asos.TwentyLines, _runtime.Options);
}

/// <summary>AsoStateCodec on a ~1 KB state.</summary>
[Config(typeof(ShortConfig))]
public class StateCodecBenchmarks
{
    private AsoValue _state = null!;
    private byte[] _encoded = [];

    [GlobalSetup]
    public void Setup()
    {
        _state = Asos.KilobyteState();
        _encoded = AsoStateCodec.Encode(_state);
        Console.WriteLine($"// encoded state: {_encoded.Length} bytes");
    }

    [Benchmark]
    public byte[] Encode1KB() => AsoStateCodec.Encode(_state);

    [Benchmark]
    public AsoValue Decode1KB() => AsoStateCodec.Decode(_encoded);
}
