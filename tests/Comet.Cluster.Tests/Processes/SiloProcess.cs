using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Comet.Cluster.Tests.Processes;

/// <summary>
/// One <c>comet-silo --silo-id ...</c> process with a fixed id and fixed ports, so a restart is the same silo (same
/// name on the ring, same addresses) in a new incarnation. Faults are real signals: SIGKILL, SIGSTOP, SIGCONT.
/// The shell execs dotnet with stdout and stderr appended to the silo's log file, so the output survives the test
/// and a frozen or killed silo never blocks on a pipe nobody reads.
/// </summary>
internal sealed class SiloProcess : IDisposable
{
    /// <summary>Every silo process this test host started and has not seen exit: killed if the host exits early.</summary>
    private static readonly ConcurrentDictionary<int, Process> Started = new();

    static SiloProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var process in Started.Values)
            {
                try
                {
                    process.Kill();
                }
                catch (InvalidOperationException)
                {
                }
            }
        };
    }

    private readonly string _executable;
    private readonly string _database;
    private readonly IReadOnlyList<string> _extraArgs;
    private Process? _process;

    public SiloProcess(string id, SiloPorts ports, string executable, string database, string logFile, IReadOnlyList<string> extraArgs)
    {
        Id = id;
        Ports = ports;
        LogFile = logFile;
        _executable = executable;
        _database = database;
        _extraArgs = extraArgs;
    }

    public string Id { get; }

    public SiloPorts Ports { get; }

    public string LogFile { get; }

    /// <summary>The REST gateway's base address.</summary>
    public string Rest => $"http://127.0.0.1:{Ports.Http}";

    /// <summary>How many times this silo was started (the first start included).</summary>
    public int Starts { get; private set; }

    public int? Pid => _process?.Id;

    public bool IsFrozen { get; private set; }

    /// <summary>
    /// The test may send requests here: set once the silo answered REST after a start, cleared just before it is
    /// killed or frozen (clients route around a silo they know is down, as the surviving silos' callers would).
    /// </summary>
    public bool IsServing { get; set; }

    /// <summary>The process runs (it may be frozen).</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The exit code of the last incarnation, once it has exited (137: SIGKILL, 134: SIGABRT, e.g. Environment.FailFast).</summary>
    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    public void Start()
    {
        if (IsRunning) throw new InvalidOperationException($"{Id} already runs (pid {_process!.Id}).");
        _process?.Dispose();
        Starts++;
        File.AppendAllText(LogFile, $"===== {Id} start #{Starts} at {DateTime.UtcNow:HH:mm:ss.fff} UTC{Environment.NewLine}");
        var start = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            // Its own stdin, never the test host's.
            RedirectStandardInput = true,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec \"$@\" >>\"$COMET_SILO_LOG\" 2>&1");
        start.ArgumentList.Add("comet-silo");
        string[] args =
        [
            "dotnet", _executable, "--silo-id", Id, "--data", _database,
            "--silo-port", Port(Ports.Silo), "--gateway-port", Port(Ports.Gateway), "--http-port", Port(Ports.Http),
            // UTC timestamps on every log line, to line the silo's view up with the test's.
            "--Logging:Console:FormatterOptions:TimestampFormat", "HH:mm:ss.fff ", "--Logging:Console:FormatterOptions:UseUtcTimestamp", "true",
            .. _extraArgs,
        ];
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["COMET_SILO_LOG"] = LogFile;
        _process = Process.Start(start) ?? throw new InvalidOperationException($"{Id} did not start.");
        Started[_process.Id] = _process;
        IsFrozen = false;
        IsServing = false;
    }

    /// <summary>A crash: SIGKILL, no shutdown code runs. Returns once the process is gone.</summary>
    public async Task KillAsync()
    {
        var process = _process ?? throw new InvalidOperationException($"{Id} was never started.");
        if (process.HasExited) throw new InvalidOperationException($"{Id} is not running (exit code {process.ExitCode}).");
        IsServing = false;
        await SignalAsync("KILL", process.Id);
        await WaitForExitAsync(TimeSpan.FromSeconds(10));
        IsFrozen = false;
    }

    /// <summary>SIGSTOP: the process stays, its sockets stay open, and nothing in it runs: a partition as its peers see it.</summary>
    public async Task FreezeAsync()
    {
        var process = _process ?? throw new InvalidOperationException($"{Id} was never started.");
        IsServing = false;
        await SignalAsync("STOP", process.Id);
        IsFrozen = true;
    }

    /// <summary>SIGCONT after <see cref="FreezeAsync"/>.</summary>
    public async Task ThawAsync()
    {
        var process = _process ?? throw new InvalidOperationException($"{Id} was never started.");
        await SignalAsync("CONT", process.Id);
        IsFrozen = false;
    }

    /// <summary>Waits for the current incarnation to exit; false when it still runs after <paramref name="limit"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan limit)
    {
        var process = _process ?? throw new InvalidOperationException($"{Id} was never started.");
        try
        {
            await process.WaitForExitAsync().WaitAsync(limit);
        }
        catch (TimeoutException)
        {
            return false;
        }
        Started.TryRemove(process.Id, out _);
        return true;
    }

    /// <summary>The last lines of the log, for a failure message.</summary>
    public string LogTail(int lines = 40)
    {
        try
        {
            using var stream = new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n');
            return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
        }
        catch (IOException ex)
        {
            return $"(log {LogFile} unreadable: {ex.Message})";
        }
    }

    private static async Task SignalAsync(string signal, int pid)
    {
        using var kill = Process.Start("kill", ["-" + signal, pid.ToString(CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
        if (kill.ExitCode != 0) throw new InvalidOperationException($"kill -{signal} {pid} exited {kill.ExitCode}.");
    }

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    /// <summary>SIGKILL whatever still runs (a frozen process included): a failed test leaves no silo behind.</summary>
    public void Dispose()
    {
        if (_process is null) return;
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        Started.TryRemove(_process.Id, out _);
        _process.Dispose();
        _process = null;
    }
}
