using System.Diagnostics;
using Comet.Sandbox.Tests.Support;

namespace Comet.Sandbox.Tests;

public class LifetimeTests
{
    private const string TwentyLines = """
        aso.value = "Hello world!"
        aso.getCount = 0
        aso.history = {}
        aso.timerPeriod = 60
        function aso:onPut(caller)
          self.history[#self.history + 1] = caller.id
          return true
        end
        function aso:onGet(caller)
          self.getCount = self.getCount + 1
          return self.value
        end
        function aso:onTimer()
          if #self.history > 10 then
            table.remove(self.history, 1)
          end
        end
        """;

    [Fact]
    public async Task A_thousand_objects_created_and_disposed_leak_nothing()
    {
        using var runtime = new AsoRuntime(new AsoSandboxOptions());
        await Cycle(runtime, 200);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long before = Process.GetCurrentProcess().WorkingSet64;

        await Cycle(runtime, 1000);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long growth = Process.GetCurrentProcess().WorkingSet64 - before;

        Assert.Equal(0, runtime.LiveObjects);
        Assert.Equal(0, runtime.LeakedBytes);
        // A leak of one Lua state per object would be ~25 MB; allow for allocator noise.
        Assert.True(growth < 16 * 1024 * 1024, $"working set grew by {growth / 1024} KB");
    }

    [Fact]
    public async Task Resident_objects_stay_small()
    {
        using var runtime = new AsoRuntime(new AsoSandboxOptions());
        var objects = new List<AsoObject>();
        try
        {
            for (int i = 0; i < 200; i++)
            {
                var obj = Asos.Load(TwentyLines, runtime: runtime);
                await obj.OnPutAsync(Asos.Client());
                objects.Add(obj);
            }
            Assert.Equal(200, runtime.LiveObjects);
            double average = objects.Average(o => o.HeapBytes);
            Assert.True(average < 32 * 1024, $"average Lua heap {average:F0} bytes");
        }
        finally
        {
            foreach (var obj in objects)
            {
                obj.Dispose();
            }
        }
        Assert.Equal(0, runtime.LiveObjects);
    }

    [Fact]
    public async Task A_disposed_object_refuses_calls()
    {
        var obj = Asos.Load("aso.value = 1");
        obj.Dispose();
        obj.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await obj.OnGetAsync(Asos.Client()));
        Assert.Equal(0, obj.HeapBytes);
    }

    [Fact]
    public async Task Disposing_during_a_suspended_call_closes_the_state_when_the_call_ends()
    {
        using var runtime = new AsoRuntime(new AsoSandboxOptions());
        var neighbours = new FakeNeighbours { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        var obj = Asos.Load("function aso:onGet() return comet.lookup()[1] end", neighbours, runtime);

        var call = obj.OnGetAsync(Asos.Client());
        obj.Dispose();
        Assert.Equal(1, runtime.LiveObjects);
        neighbours.Gate.SetResult();

        Assert.Equal("n1", (await call).Result.AsString());
        Assert.Equal(0, runtime.LiveObjects);
    }

    [Fact]
    public void A_disposed_runtime_loads_no_more_objects()
    {
        var runtime = new AsoRuntime(new AsoSandboxOptions());
        runtime.Dispose();

        Assert.Throws<ObjectDisposedException>(() => Asos.Load("aso.x = 1", runtime: runtime));
    }

    private static async Task Cycle(AsoRuntime runtime, int count)
    {
        for (int i = 0; i < count; i++)
        {
            using var obj = Asos.Load(TwentyLines, runtime: runtime);
            await obj.OnPutAsync(Asos.Client());
            await obj.Get();
            await obj.OnTimerAsync();
        }
    }
}
