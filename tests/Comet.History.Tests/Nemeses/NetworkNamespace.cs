using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Comet.History.Tests.Nemeses;

/// <summary>
/// A Linux network namespace this test creates (<c>ip netns add</c>, root only) and deletes, and sockets opened inside
/// it: a socket belongs to the namespace of the thread that created it, so one thread per namespace enters it
/// (<c>setns</c>) and creates the sockets the test's HTTP clients then use from any thread.
/// </summary>
internal sealed partial class NetworkNamespace : IDisposable
{
    private const int CloneNewNet = 0x40000000;

    private readonly BlockingCollection<TaskCompletionSource<Socket>> _requests = [];
    private readonly Thread _thread;

    public NetworkNamespace(string name)
    {
        Name = name;
        Ip("netns", "add", name);
        _thread = new Thread(Serve) { IsBackground = true, Name = "netns " + name };
        _thread.Start();
    }

    public string Name { get; }

    /// <summary>A TCP socket created inside this namespace.</summary>
    public Task<Socket> CreateSocketAsync()
    {
        var request = new TaskCompletionSource<Socket>(TaskCreationOptions.RunContinuationsAsynchronously);
        _requests.Add(request);
        return request.Task;
    }

    private void Serve()
    {
        Exception? failure = null;
        using (var handle = File.OpenHandle("/var/run/netns/" + Name))
            if (SetNamespace((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
                failure = new InvalidOperationException($"setns into {Name} failed: errno {Marshal.GetLastPInvokeError()}");
        foreach (var request in _requests.GetConsumingEnumerable())
        {
            if (failure is not null) request.SetException(failure);
            else
            {
                try
                {
                    request.SetResult(new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true });
                }
                catch (SocketException ex)
                {
                    request.SetException(ex);
                }
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNamespace(int fd, int nstype);

    /// <summary>Runs <c>ip</c> with <paramref name="args"/>; throws with its output when it fails.</summary>
    public static void Ip(params string[] args) => Run("ip", args);

    public static void Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}: {error}");
    }

    public void Dispose()
    {
        _requests.CompleteAdding();
        _thread.Join(TimeSpan.FromSeconds(5));
        try
        {
            Ip("netns", "del", Name);
        }
        catch (InvalidOperationException)
        {
        }
    }
}
