using System.Net;
using System.Net.Sockets;

namespace Comet.Client.Tests.Unit;

/// <summary>A loopback port nothing listens on: bound by the OS, then released.</summary>
internal static class ClosedPort
{
    public static string Gateway()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"127.0.0.1:{port}";
    }
}
