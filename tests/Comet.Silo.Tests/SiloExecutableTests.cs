using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Comet.Silo.Tests;

/// <summary>The built <c>comet-silo</c> executable, run as a real process the way an operator runs it.</summary>
[Collection(ProcessEnvironment.Name)]
public partial class SiloExecutableTests
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

    [GeneratedRegex(@"Silo (silo-\d) up: REST (http://127\.0\.0\.1:\d+)")]
    private static partial Regex SiloUp();

    [Fact]
    public async Task A_thousand_gets_with_default_settings_add_no_log_lines()
    {
        const int Gets = 1000;
        var lines = 0;
        var urls = new List<string>();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var process = Process.Start(StartInfo(["--storage", "memory", "--http-port", "0", "--silo-port", "0", "--gateway-port", "0"]))!;
        void Count(string? line)
        {
            if (line is null) return;
            Interlocked.Increment(ref lines);
            if (SiloUp().Match(line) is not { Success: true } up) return;
            lock (urls)
            {
                urls.Add(up.Groups[2].Value);
                if (urls.Count == 3) ready.TrySetResult();
            }
        }
        process.OutputDataReceived += (_, e) => Count(e.Data);
        process.ErrorDataReceived += (_, e) => Count(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(60));
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
            // The first requests may still meet a cluster settling its view: give it a moment to log what it logs.
            await Task.Delay(TimeSpan.FromSeconds(1));
            var before = Volatile.Read(ref lines);

            for (var i = 0; i < Gets; i++)
            {
                using var response = await http.GetAsync($"{urls[i % urls.Count]}/v1/default/keys/quiet-{i % 10}");
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
