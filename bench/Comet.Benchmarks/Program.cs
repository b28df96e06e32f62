using BenchmarkDotNet.Running;
using Comet.Benchmarks;

if (args.Length > 0 && args[0] == "memory")
{
    return MemoryPerObject.Run(args.Length > 1 && int.TryParse(args[1], out var n) ? n : 10_000);
}

BenchmarkSwitcher.FromAssembly(typeof(SandboxBenchmarks).Assembly).Run(args);
return 0;
