using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Comet.Cluster.Tests.Processes;

/// <summary>
/// One <c>comet-silo --silo-id ...</c> process with a fixed id and fixed ports, so a restart is the same silo (same
/// name on the ring, same addresses) in a new incarnation. Faults are real signals: SIGKILL, SIGSTOP, SIGCONT.
/// Its stdout and stderr go, line by line and stamped with the time, to the silo's log file (one file across restarts).
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
    private readonly StreamWriter _log;
    private bool _closed;
    private Process? _process;

    public SiloProcess(string id, SiloPorts ports, string executable, string database, string logFile)
    {
        Id = id;
        Ports = ports;
        LogFile = logFile;
        _executable = executable;
        _database = database;
        _log = new StreamWriter(new FileStream(logFile, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete)) { AutoFlush = true };
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
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // Its own stdin, never the test host's.
            RedirectStandardInput = true,
        };
        string[] args =
        [
            _executable, "--silo-id", Id, "--data", _database,
            "--silo-port", Port(Ports.Silo), "--gateway-port", Port(Ports.Gateway), "--http-port", Port(Ports.Http),
        ];
        foreach (var arg in args) start.ArgumentList.Add(arg);
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Log(e.Data);
        process.ErrorDataReceived += (_, e) => Log(e.Data);
        Log($"===== {Id} start #{Starts}: dotnet {string.Join(' ', args)}");
        if (!process.Start()) throw new InvalidOperationException($"{Id} did not start.");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        Started[process.Id] = process;
        IsFrozen = false;
        IsServing = false;
    }

    /// <summary>One line of the silo's output, stamped with the test's UTC clock (the silo's own lines carry no time).</summary>
    private void Log(string? line)
    {
        if (line is null) return;
        lock (_log)
        {
            // Output can still arrive while the fixture is disposed.
            if (!_closed) _log.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {line}");
        }
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
        DisposeProcess();
        lock (_log)
        {
            _closed = true;
            _log.Dispose();
        }
    }

    private void DisposeProcess()
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
