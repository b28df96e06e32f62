using System.Net;

namespace Comet.Client.Routing;

/// <summary>
/// Where requests for one silo go: its gateway endpoint, built once per cluster view so the hot path looks nothing up
/// but the silo id; plus a short cool-down after the silo failed a request, during which keys it coordinates go to the
/// next silo of their preference list instead of failing over one by one.
/// </summary>
internal sealed class SiloRoute
{
    private long _cooldownUntil; // Environment.TickCount64 milliseconds; 0 = healthy
    private long _requests;

    public SiloRoute(string id, EndPoint endPoint)
    {
        Id = id;
        EndPoint = endPoint;
    }

    /// <summary>The silo id, or <c>gateway:host:port</c> for a configured gateway used before any view is known.</summary>
    public string Id { get; }

    public EndPoint EndPoint { get; }

    /// <summary>Requests sent to this route (diagnostics and tests).</summary>
    public long Requests => Volatile.Read(ref _requests);

    public bool IsCoolingDown => Volatile.Read(ref _cooldownUntil) > Environment.TickCount64;

    public void CountRequest() => Interlocked.Increment(ref _requests);

    /// <summary>The silo failed a request: route around it for <paramref name="period"/>.</summary>
    public void MarkFailed(TimeSpan period) =>
        Volatile.Write(ref _cooldownUntil, Environment.TickCount64 + (long)period.TotalMilliseconds);

    /// <summary>Carries the cool-down over from the same silo in the previous view (a view can still list a silo that just died).</summary>
    public void InheritFrom(SiloRoute previous)
    {
        Volatile.Write(ref _cooldownUntil, Volatile.Read(ref previous._cooldownUntil));
        Volatile.Write(ref _requests, previous.Requests);
    }

    public override string ToString() => $"{Id} at {EndPoint}";
}
