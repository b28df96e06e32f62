using System.Diagnostics;
using Comet.Sandbox;

namespace Comet.Benchmarks;

/// <summary>
/// Memory per resident object: loads N objects (the 20-line ASO and the counter), keeps them
/// resident, and reports the managed heap delta (after full GC), the Lua heap the sandbox
/// accounts, and the process working-set / private-memory delta, per object (target ≤ 32 KB).
/// </summary>
internal static class MemoryPerObject
{
    public static int Run(int count)
    {
        Console.WriteLine($"memory per resident object, N = {count}, load average: {LoadAverage()}");
        Console.WriteLine($"{"ASO",-22} {"managed B/obj",14} {"Lua heap B/obj",15} {"peak Lua B/obj",15} {"RSS B/obj",12} {"private B/obj",14}");
        // Every set stays resident until the end: a disposed set's native memory would be reused by the next one
        // and hide its RSS cost.
        var keep = new List<AsoObject[]>
        {
            Measure("trivial (2 lines)", Asos.Trivial, count),
            Measure("counter (5 lines)", Asos.Counter, count),
            Measure("20-line, after onPut", Asos.TwentyLines, count),
        };
        foreach (var set in keep)
        {
            foreach (var o in set) o.Dispose();
        }
        return 0;
    }

    private static AsoObject[] Measure(string name, string code, int count)
    {
        var runtime = Asos.Runtime();
        var neighbours = new InMemoryNeighbours();
        var caller = new AsoCaller("127.0.0.1", "bench", null, null);
        // Warm up (JIT, precompiled chunks) so they do not count.
        using (var warm = runtime.Load(Asos.Context(code, "warm"), [], neighbours))
        {
            warm.OnGetAsync(caller).GetAwaiter().GetResult();
        }
        var contexts = new AsoContext[count];
        for (int i = 0; i < count; i++) contexts[i] = Asos.Context(code, "key-" + i);

        Settle();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        long managed0 = GC.GetTotalMemory(forceFullCollection: true);
        long rss0 = process.WorkingSet64;
        long private0 = process.PrivateMemorySize64;

        var objects = new AsoObject[count];
        for (int i = 0; i < count; i++)
        {
            objects[i] = runtime.Load(contexts[i], [], neighbours);
            objects[i].OnPutAsync(caller).GetAwaiter().GetResult();
            objects[i].OnGetAsync(caller).GetAwaiter().GetResult();
        }

        Settle();
        process.Refresh();
        long managed1 = GC.GetTotalMemory(forceFullCollection: true);
        long rss1 = process.WorkingSet64;
        long private1 = process.PrivateMemorySize64;
        long lua = 0, peak = 0;
        foreach (var o in objects)
        {
            var s = o.Stats;
            lua += s.HeapBytes;
            peak += s.PeakHeapBytes;
        }
        Console.WriteLine($"{name,-22} {(managed1 - managed0) / count,14:N0} {lua / count,15:N0} {peak / count,15:N0} {(rss1 - rss0) / count,12:N0} {(private1 - private0) / count,14:N0}");
        GC.KeepAlive(contexts);
        return objects;
    }

    private static void Settle()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    internal static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }
}
