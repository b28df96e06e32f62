using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Comet.Grid.Tests.Process;

/// <summary>Real silo processes sharing one SQLite file; a fault is a real kill -9.</summary>
public partial class SiloProcessFaultTests
{
    [GeneratedRegex(@"Silo (silo-\d) up: REST (http://127\.0\.0\.1:\d+)")]
    private static partial Regex SiloUp();

    private sealed class SiloProcess : IDisposable
    {
        public required System.Diagnostics.Process Process { get; init; }
        public required string Url { get; init; }

        public void Kill9()
        {
            using var kill = System.Diagnostics.Process.Start("kill", ["-KILL", Process.Id.ToString(CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
            Process.WaitForExit(10_000);
        }

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.Dispose();
        }
    }

    private static async Task<SiloProcess> StartAsync(string id, string db)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { SiloProcessTests.SiloExecutable(), "--silo-id", id, "--data", db, "--http-port", "0", "--silo-port", "0", "--gateway-port", "0" })
            start.ArgumentList.Add(arg);
        var process = System.Diagnostics.Process.Start(start)!;
        var url = new TaskCompletionSource<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null && SiloUp().Match(e.Data) is { Success: true } m) url.TrySetResult(m.Groups[2].Value);
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new SiloProcess { Process = process, Url = await url.Task.WaitAsync(TimeSpan.FromSeconds(60)) };
    }

    [Fact]
    public async Task Killing_one_of_three_silo_processes_loses_no_acknowledged_write_and_reads_keep_succeeding()
    {
        var dir = Directory.CreateTempSubdirectory("comet-fault-");
        var silos = new List<SiloProcess>();
        try
        {
            var db = Path.Combine(dir.FullName, "comet.db");
            for (var i = 1; i <= 3; i++) silos.Add(await StartAsync($"silo-{i}", db));
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            // Every silo sees the other two once a write with w=3 succeeds.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!(await http.PutAsync($"{silos[0].Url}/v1/default/keys/warm-up?w=3", new StringContent("x"))).IsSuccessStatusCode)
            {
                Assert.True(DateTime.UtcNow < deadline, "the three silos never saw each other");
                await Task.Delay(200);
            }

            var acknowledged = new System.Collections.Concurrent.ConcurrentDictionary<string, string>();
            var failedWrites = 0;
            var failedReads = 0;
            var reads = 0;
            using var stop = new CancellationTokenSource();
            var writer = Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var key = $"fault-{i}";
                    var response = await http.PutAsync($"{silos[0].Url}/v1/default/keys/{key}", new StringContent("v" + i));
                    if (response.IsSuccessStatusCode) acknowledged[key] = "v" + i;
                    else Interlocked.Increment(ref failedWrites);
                }
            });
            var reader = Task.Run(async () =>
            {
                var random = new Random(7);
                while (!stop.IsCancellationRequested)
                {
                    var keys = acknowledged.Keys.ToArray();
                    if (keys.Length == 0)
                    {
                        await Task.Delay(10);
                        continue;
                    }
                    var key = keys[random.Next(keys.Length)];
                    var response = await http.GetAsync($"{silos[1].Url}/v1/default/keys/{key}");
                    Interlocked.Increment(ref reads);
                    if (!response.IsSuccessStatusCode) Interlocked.Increment(ref failedReads);
                }
            });

            await Task.Delay(1500);
            silos[2].Kill9();
            await Task.Delay(3000);
            await stop.CancelAsync();
            await Task.WhenAll(writer, reader);

            Assert.True(acknowledged.Count > 50, $"only {acknowledged.Count} writes were acknowledged");
            Assert.True(reads > 50, $"only {reads} reads ran");
            Assert.Equal(0, failedReads);
            Assert.Equal(0, failedWrites);
            foreach (var (key, value) in acknowledged)
                Assert.Equal(value, await http.GetStringAsync($"{silos[1].Url}/v1/default/keys/{key}"));
        }
        finally
        {
            foreach (var silo in silos) silo.Dispose();
            dir.Delete(recursive: true);
        }
    }
}
