using System.Net;
using Orleans;
using Orleans.Runtime;

namespace Comet.Persistence.Sqlite.Tests.Clustering;

/// <summary>Membership entries for tests, each for a new silo incarnation.</summary>
internal static class MembershipEntries
{
    private static int generation = 1000;

    public static SiloAddress NewSilo(int port = 11111) =>
        SiloAddress.New(new IPEndPoint(IPAddress.Loopback, port), Interlocked.Increment(ref generation));

    /// <summary>A Joining entry with second-resolution times, as Orleans's own conformance tests use.</summary>
    public static MembershipEntry New(SiloStatus status = SiloStatus.Joining, int proxyPort = 30000)
    {
        var silo = NewSilo();
        var now = Truncate(DateTime.UtcNow);
        return new MembershipEntry
        {
            SiloAddress = silo,
            Status = status,
            HostName = "test-host",
            SiloName = $"silo-{silo.Generation}",
            ProxyPort = proxyPort,
            StartTime = now,
            IAmAliveTime = now,
        };
    }

    public static DateTime Truncate(DateTime time) => new(time.Ticks - (time.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
}
