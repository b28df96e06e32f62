using System.Diagnostics;
using System.Globalization;

namespace Comet.Silo.Tests;

/// <summary>The built <c>comet-silo</c> executable, run as a real process the way an operator runs it.</summary>
[Collection(ProcessEnvironment.Name)]
public class SiloExecutableTests
{
    private static readonly TimeSpan ExitWithin = TimeSpan.FromSeconds(30);

    /// <summary>tests/Comet.Silo.Tests/bin/&lt;Configuration&gt;/net10.0/linux-x64/ → silo/bin/&lt;Configuration&gt;/net10.0/linux-x64/comet-silo.dll</summary>
    private static string Executable()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = here.Parent!.Parent!.Name;
        var root = here.Parent!.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        var path = Path.Combine(root, "silo", "bin", configuration, "net10.0", "linux-x64", "comet-silo.dll");
        Assert.True(File.Exists(path), $"the silo executable is not built at {path}");
        return path;
    }

    private static ProcessStartInfo StartInfo(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.ArgumentList.Add(Executable());
        foreach (var arg in args) start.ArgumentList.Add(arg);
        return start;
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RunToExitAsync(params string[] args)
    {
        using var process = Process.Start(StartInfo(args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(ExitWithin);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"comet-silo {string.Join(' ', args)} did not exit within {ExitWithin.TotalSeconds} s (it started a cluster?)");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task Help_prints_the_options_and_exits_0_without_starting_a_cluster()
    {
        var (exit, stdout, stderr) = await RunToExitAsync("--help");

        Assert.Equal(0, exit);
        foreach (var flag in SiloCommandLine.Switches.Keys) Assert.Contains(flag, stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("up: REST", stdout, StringComparison.Ordinal);
        Assert.Equal("", stderr);
    }

    [Fact]
    public async Task An_unknown_flag_exits_2_with_one_line_on_stderr()
    {
        var (exit, stdout, stderr) = await RunToExitAsync("--http-port", "0", "--frobnicate");

        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        Assert.Equal("comet-silo: unknown option '--frobnicate'. Run 'comet-silo --help' for the options.", stderr.TrimEnd());
    }

    [Fact]
    public async Task A_bad_port_exits_2_before_anything_starts()
    {
        var (exit, stdout, stderr) = await RunToExitAsync("--gateway-port", "http");

        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("--gateway-port 'http' is not a port", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unwritable_data_path_exits_2_before_anything_starts()
    {
        var file = Path.GetTempFileName();
        try
        {
            var (exit, stdout, stderr) = await RunToExitAsync("--data", Path.Combine(file, "comet.db"), "--http-port", "0");

            Assert.Equal(2, exit);
            Assert.Equal("", stdout);
            Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains("cannot create or write the directory", stderr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>
    /// A first port of <paramref name="count"/> consecutive free ones (the local cluster's silos take port, port + 1, ...),
    /// avoiding <paramref name="taken"/>. Orleans needs fixed silo ports, so the test cannot ask for port 0.
    /// </summary>
    private static int FreePortRun(int count, HashSet<int> taken)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            probe.Start();
            var first = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            if (first + count > 65535 || Enumerable.Range(first, count).Any(taken.Contains)) continue;
            var listeners = new List<System.Net.Sockets.TcpListener>();
            try
            {
                foreach (var port in Enumerable.Range(first, count))
                {
                    var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
                    listener.Start();
                    listeners.Add(listener);
                }
                foreach (var port in Enumerable.Range(first, count)) taken.Add(port);
                return first;
            }
            catch (System.Net.Sockets.SocketException)
            {
                // One of them is in use: try another run.
            }
            finally
            {
                foreach (var listener in listeners) listener.Stop();
            }
        }
        throw new InvalidOperationException($"no {count} consecutive free ports found");
    }

    [Fact]
    public async Task A_thousand_gets_with_default_settings_add_no_log_lines()
    {
        const int Gets = 1000;
        const int Silos = 3;
        var taken = new HashSet<int>();
        var http = FreePortRun(Silos, taken);
        var urls = Enumerable.Range(http, Silos).Select(p => $"http://127.0.0.1:{p}").ToArray();
        var lines = 0;
        using var process = Process.Start(StartInfo([
            "--storage", "memory", "--silos", "3", "--http-port", http.ToString(CultureInfo.InvariantCulture),
            "--silo-port", FreePortRun(Silos, taken).ToString(CultureInfo.InvariantCulture),
            "--gateway-port", FreePortRun(Silos, taken).ToString(CultureInfo.InvariantCulture)]))!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) Interlocked.Increment(ref lines); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Interlocked.Increment(ref lines); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        try
        {
            // Ready when every silo's REST gateway answers a get of a missing key with 404.
            var deadline = DateTime.UtcNow.AddSeconds(90);
            foreach (var url in urls)
            {
                while (true)
                {
                    Assert.False(process.HasExited, "the silo process exited during start-up");
                    Assert.True(DateTime.UtcNow < deadline, $"{url} did not answer within 90 s");
                    try
                    {
                        using var probe = await client.GetAsync($"{url}/v1/default/keys/not-there");
                        if (probe.StatusCode == System.Net.HttpStatusCode.NotFound) break;
                    }
                    catch (HttpRequestException)
                    {
                        // Not listening yet.
                    }
                    await Task.Delay(250);
                }
            }
            await Task.Delay(TimeSpan.FromSeconds(2)); // let start-up finish logging what it logs
            var before = Volatile.Read(ref lines);

            for (var i = 0; i < Gets; i++)
            {
                using var response = await client.GetAsync($"{urls[i % urls.Length]}/v1/default/keys/quiet-{i % 10}");
                Assert.True((int)response.StatusCode < 500, $"GET answered {(int)response.StatusCode}");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(500)); // let the log writer flush

            Assert.True(Volatile.Read(ref lines) - before <= 3, $"{Volatile.Read(ref lines) - before} log lines for {Gets} GETs");
        }
        finally
        {
            if (!process.HasExited)
            {
                using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)])) await term.WaitForExitAsync();
                if (!await Task.Run(() => process.WaitForExit(TimeSpan.FromSeconds(20)))) process.Kill(entireProcessTree: true);
            }
        }
    }
}
