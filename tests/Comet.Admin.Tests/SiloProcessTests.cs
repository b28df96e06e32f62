using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Comet.Admin.Tests;

/// <summary>The built <c>comet-silo</c> executable's local cluster, stopped silo by silo through the admin API.</summary>
public sealed partial class SiloProcessTests
{
    private const string Key = "process-key";

    [GeneratedRegex(@"(silo-\d+)(?: up)?: REST (http://127\.0\.0\.1:\d+)")]
    private static partial Regex SiloUp();

    [Fact]
    public async Task The_silo_executable_ends_when_its_last_silo_is_stopped_through_the_admin_api()
    {
        var data = Path.Combine(Path.GetTempPath(), "comet-admin-process-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var arg in new[]
        {
            // The local cluster steps each port by one per silo (Orleans needs real silo ports, not 0).
            Executable(), "--silos", "2", "--http-port", PortPair(), "--silo-port", PortPair(), "--gateway-port", PortPair(),
            "--data", Path.Combine(data, "comet.db"), "--admin-key", Key,
        })
            start.ArgumentList.Add(arg);
        var urls = new Dictionary<string, string>(StringComparer.Ordinal);
        var output = new List<string>();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var process = Process.Start(start)!;
        void Read(string? line)
        {
            if (line is null) return;
            lock (urls)
            {
                output.Add(line);
                if (SiloUp().Match(line) is not { Success: true } up) return;
                urls[up.Groups[1].Value] = up.Groups[2].Value;
                if (urls.Count == 2) ready.TrySetResult();
            }
        }
        process.OutputDataReceived += (_, e) => Read(e.Data);
        process.ErrorDataReceived += (_, e) => Read(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(90));
            using var admin = AdminClusterFixture.NewClient(Key);

            using (var stop = await admin.PostAsync($"{urls["silo-1"]}/admin/silos/silo-2/stop", null))
                Assert.Equal(HttpStatusCode.Accepted, stop.StatusCode);
            await Comet.Tests.Shared.SiloCluster.EventuallyAsync(async () =>
            {
                try
                {
                    (await admin.GetAsync(urls["silo-2"] + "/admin/silo")).Dispose();
                    return false;
                }
                catch (HttpRequestException)
                {
                    return true;
                }
            }, "silo-2's host stops");
            Assert.False(process.HasExited, "the process must keep running while a silo runs");
            using (var alive = await admin.GetAsync(urls["silo-1"] + "/admin/silo"))
                Assert.Equal(HttpStatusCode.OK, alive.StatusCode);

            using (var stop = await admin.PostAsync($"{urls["silo-1"]}/admin/silos/silo-1/stop", null))
                Assert.Equal(HttpStatusCode.Accepted, stop.StatusCode);
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, process.ExitCode);
        }
        catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
        {
            string log;
            lock (urls) log = string.Join('\n', output.TakeLast(60));
            throw new InvalidOperationException("comet-silo output:\n" + log, ex);
        }
        finally
        {
            if (!process.HasExited)
            {
                using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)])) await term.WaitForExitAsync();
                if (!await Task.Run(() => process.WaitForExit(TimeSpan.FromSeconds(20)))) process.Kill(entireProcessTree: true);
            }
            try
            {
                Directory.Delete(data, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>A free loopback port whose next port is free too.</summary>
    private static string PortPair()
    {
        while (true)
        {
            var port = Comet.Tests.Shared.SiloCluster.FreePort();
            if (port >= 65535) continue;
            try
            {
                using var next = new System.Net.Sockets.TcpListener(IPAddress.Loopback, port + 1);
                next.Start();
                return port.ToString(CultureInfo.InvariantCulture);
            }
            catch (System.Net.Sockets.SocketException)
            {
                // Taken: draw again.
            }
        }
    }

    /// <summary>tests/Comet.Admin.Tests/bin/&lt;Configuration&gt;/net10.0/linux-x64/ → silo/bin/&lt;Configuration&gt;/net10.0/linux-x64/comet-silo.dll</summary>
    private static string Executable()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = here.Parent!.Parent!.Name;
        var root = here.Parent!.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        var path = Path.Combine(root, "silo", "bin", configuration, "net10.0", "linux-x64", "comet-silo.dll");
        Assert.True(File.Exists(path), $"the silo executable is not built at {path}");
        return path;
    }
}
