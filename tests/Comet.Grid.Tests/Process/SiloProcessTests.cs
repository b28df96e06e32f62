using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;

namespace Comet.Grid.Tests.Process;

/// <summary>The README's first command: the silo executable starts a local 3-silo cluster on a SQLite file.</summary>
public partial class SiloProcessTests
{
    internal static string SiloExecutable()
    {
        // tests/Comet.Grid.Tests/bin/<Configuration>/net10.0/linux-x64/ → silo/bin/<Configuration>/net10.0/linux-x64/
        var here = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = here.Parent!.Parent!.Name;
        var root = here.Parent!.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        var path = Path.Combine(root, "silo", "bin", configuration, "net10.0", "linux-x64", "comet-silo.dll");
        Assert.True(File.Exists(path), $"the silo executable is not built at {path}");
        return path;
    }

    [GeneratedRegex(@"Silo (silo-\d) up: REST (http://127\.0\.0\.1:\d+)")]
    private static partial Regex SiloUp();

    [Fact]
    public async Task The_silo_executable_runs_a_local_three_silo_cluster_on_sqlite_that_survives_a_restart()
    {
        var dir = Directory.CreateTempSubdirectory("comet-silo-");
        try
        {
            var db = Path.Combine(dir.FullName, "data", "comet.db");
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };

            var urls = await RunAndAsync(db, async urls =>
            {
                var put = await http.PutAsync($"{urls[0]}/v1/default/keys/process-key", new StringContent("persisted"));
                Assert.Equal(HttpStatusCode.Created, put.StatusCode);
                Assert.Equal("persisted", await http.GetStringAsync($"{urls[2]}/v1/default/keys/process-key"));
            });
            Assert.Equal(3, urls.Count);
            Assert.True(File.Exists(db));

            // A clean stop wrote everything: a new run on the same file serves the value.
            await RunAndAsync(db, async urls =>
                Assert.Equal("persisted", await http.GetStringAsync($"{urls[1]}/v1/default/keys/process-key")));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static async Task<List<string>> RunAndAsync(string db, Func<List<string>, Task> body)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var arg in new[] { SiloExecutable(), "--data", db, "--http-port", "0", "--silo-port", "0", "--gateway-port", "0" })
            start.ArgumentList.Add(arg);
        start.Environment["Logging__LogLevel__Default"] = "Information";
        using var process = System.Diagnostics.Process.Start(start)!;
        var urls = new List<string>();
        var ready = new TaskCompletionSource();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            var m = SiloUp().Match(e.Data);
            if (!m.Success) return;
            lock (urls)
            {
                urls.Add(m.Groups[2].Value);
                if (urls.Count == 3) ready.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(60));
            await body(urls);
        }
        finally
        {
            // SIGTERM: the host stops the silos cleanly.
            if (!process.HasExited)
            {
                using var term = System.Diagnostics.Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                await term.WaitForExitAsync();
            }
            if (!process.WaitForExit(30_000)) process.Kill(entireProcessTree: true);
        }
        return urls;
    }
}
