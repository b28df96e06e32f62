using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;

namespace Comet.Persistence.Sqlite.Tests.MultiProcess;

/// <summary>
/// A real OS process running Comet.Persistence.Sqlite.Tests.Writer (built with the tests), its stdout
/// collected line by line. Killed on dispose if still running.
/// </summary>
internal sealed class WriterProcess : IDisposable
{
    private static readonly string AssemblyPath = Path.GetFullPath(
        typeof(WriterProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "WriterAssembly").Value!);

    private readonly Process process;
    private readonly ConcurrentQueue<string> lines = new();
    private readonly ConcurrentQueue<string> errors = new();
    private readonly TaskCompletionSource ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int wins;

    private WriterProcess(Process process)
    {
        this.process = process;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not { } line)
                return;
            lines.Enqueue(line);
            if (line == "ready")
                ready.TrySetResult();
            else if (line.StartsWith("won ", StringComparison.Ordinal))
                Interlocked.Increment(ref wins);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
                errors.Enqueue(line);
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Id => process.Id;

    /// <summary>Writes that succeeded so far (from the "won" lines).</summary>
    public int Wins => Volatile.Read(ref wins);

    /// <summary>The counter values or table versions this process reported winning.</summary>
    public IEnumerable<long> Won => lines
        .Where(l => l.StartsWith("won ", StringComparison.Ordinal))
        .Select(l => long.Parse(l.AsSpan(4), CultureInfo.InvariantCulture));

    /// <summary>The "losses" count of the "done" line (-1 if the process did not finish).</summary>
    public long Losses => lines.FirstOrDefault(l => l.StartsWith("done ", StringComparison.Ordinal)) is { } done
        ? long.Parse(done.Split(' ')[2], CultureInfo.InvariantCulture)
        : -1;

    public string Errors => string.Join(Environment.NewLine, errors);

    public static WriterProcess Start(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("exec");
        info.ArgumentList.Add(AssemblyPath);
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        return new WriterProcess(Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start"));
    }

    public Task WaitReadyAsync(TimeSpan timeout) => ready.Task.WaitAsync(timeout);

    /// <summary>Waits for the process to exit and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cancel.Token);
        return process.ExitCode;
    }

    /// <summary>SIGKILL, as kill -9 does: no clean-up runs in the process.</summary>
    public void Kill() => process.Kill(entireProcessTree: false);

    public void Dispose()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        process.Dispose();
    }
}
