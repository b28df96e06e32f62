using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Comet.Tests.Shared;

namespace Comet.Grains.Tests.Silos;

/// <summary>Real silos on one SQLite file, stopped and started again as a whole cluster.</summary>
public sealed class TimerRestartTests
{
    private const string Ticker = """
        aso.ticks = 0
        aso.timerPeriod = 1
        function aso:onTimer() self.ticks = self.ticks + 1 end
        function aso:onGet(caller) return self.ticks end
        """;

    [Fact]
    public async Task An_object_timer_keeps_running_after_a_full_cluster_restart_before_anyone_reads_it()
    {
        var configuration = new Dictionary<string, string?>
        {
            ["Comet:Silo:TimerReminderPeriod"] = "00:00:02",
        };
        await using var cluster = await SiloCluster.StartAsync(2, configuration);
        var path = cluster.DataPath;
        long before;
        try
        {
            using var http = new HttpClient { BaseAddress = cluster.Http(0) };
            var code = new StringContent(Ticker);
            code.Headers.ContentType = new MediaTypeHeaderValue("application/x-lua");
            Assert.Equal(HttpStatusCode.Created, (await http.PutAsync("/v1/default/keys/ticker?n=1&w=1", code)).StatusCode);
            await Task.Delay(TimeSpan.FromSeconds(3));
            before = await TicksAsync(http);
            Assert.True(before >= 1, $"the timer ticked {before} times before the restart");
        }
        finally
        {
            await cluster.StopAsync();
        }

        // The same silos (names, file) come back; nobody asks for the object for a while.
        await using var restarted = await SiloCluster.StartAsync(2, new Dictionary<string, string?>(configuration)
        {
            ["Comet:Storage:SqlitePath"] = path,
            ["Comet:Silo:ClusterId"] = cluster.ClusterId,
        });
        await Task.Delay(TimeSpan.FromSeconds(10));
        using var again = new HttpClient { BaseAddress = restarted.Http(0) };
        var after = await TicksAsync(again);
        // Activated by our read alone, the timer would not have ticked yet (its first tick is 1 s after activation).
        Assert.True(after >= before + 4, $"ticks before the restart {before}, 10 s after it {after}: the reminder did not bring the object back");
    }

    private static async Task<long> TicksAsync(HttpClient http)
    {
        var get = await http.GetAsync("/v1/default/keys/ticker?n=1&r=1");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        return JsonSerializer.Deserialize<long>(await get.Content.ReadAsStringAsync());
    }
}
