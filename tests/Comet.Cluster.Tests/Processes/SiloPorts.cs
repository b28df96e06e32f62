using System.Net;
using System.Net.Sockets;

namespace Comet.Cluster.Tests.Processes;

/// <summary>The three loopback ports of one silo; a restarted silo takes the same ones back.</summary>
internal sealed record SiloPorts(int Silo, int Gateway, int Http)
{
    private static readonly object Gate = new();

    /// <summary>
    /// <paramref name="count"/> sets of free ports, chosen below the kernel's ephemeral range: a port from that
    /// range could be taken by some outgoing connection's local end while its silo is down, and the restart
    /// would then fail to bind.
    /// </summary>
    public static IReadOnlyList<SiloPorts> Allocate(int count)
    {
        lock (Gate)
        {
            var (low, high) = (20000, EphemeralStart() - 1);
            var listeners = new List<TcpListener>();
            try
            {
                var taken = new List<int>();
                while (taken.Count < count * 3)
                {
                    var port = Random.Shared.Next(low, high);
                    if (taken.Contains(port)) continue;
                    var listener = new TcpListener(IPAddress.Loopback, port);
                    try
                    {
                        listener.Start();
                    }
                    catch (SocketException)
                    {
                        continue;
                    }
                    listeners.Add(listener);
                    taken.Add(port);
                }
                return Enumerable.Range(0, count).Select(i => new SiloPorts(taken[3 * i], taken[3 * i + 1], taken[3 * i + 2])).ToList();
            }
            finally
            {
                foreach (var listener in listeners) listener.Stop();
            }
        }
    }

    private static int EphemeralStart()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return Math.Max(21000, int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 32768;
        }
    }
}
