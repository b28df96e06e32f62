using System.Net.Http.Json;
using Comet.Grid.Membership;
using Microsoft.AspNetCore.Http;

namespace Comet.Admin.Api;

/// <summary>
/// Calls another silo's admin API (its HTTP port is in the membership row) with the key the
/// caller presented here: the key inspector reads remote replicas this way, the cluster view
/// asks each silo for its own figures, and drain/stop are forwarded to the silo they name.
/// </summary>
public static class PeerAdminClient
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler
    {
        // Silos talk to each other directly; a proxy from the environment must not be used.
        UseProxy = false,
        ConnectTimeout = TimeSpan.FromSeconds(2),
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
    })
    {
        Timeout = TimeSpan.FromSeconds(5),
    };

    public static Uri UrlOf(MembershipEntry silo, string pathAndQuery)
    {
        ArgumentNullException.ThrowIfNull(silo);
        if (silo.HttpPort <= 0) throw new InvalidOperationException($"Silo {silo.SiloId} serves no HTTP.");
        return new Uri($"http://{silo.Host}:{silo.HttpPort}{pathAndQuery}");
    }

    public static async Task<T> GetAsync<T>(MembershipEntry silo, string pathAndQuery, HttpRequest caller, TimeSpan timeout)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, UrlOf(silo, pathAndQuery));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(caller.HttpContext.RequestAborted);
        cts.CancelAfter(timeout);
        CopyKey(caller, request);
        using var response = await Http.SendAsync(request, cts.Token).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cts.Token).ConfigureAwait(false);
            throw new HttpRequestException($"{silo.SiloId} answered {(int)response.StatusCode}: {body}", null, response.StatusCode);
        }
        return await response.Content.ReadFromJsonAsync<T>(AdminJson.Options, cts.Token).ConfigureAwait(false)
            ?? throw new HttpRequestException($"{silo.SiloId} answered an empty body.");
    }

    /// <summary>Posts to the silo and relays its answer (status and JSON body) unchanged.</summary>
    public static async Task<(int Status, string Body)> PostAsync(MembershipEntry silo, string pathAndQuery, HttpRequest caller, TimeSpan timeout)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, UrlOf(silo, pathAndQuery));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(caller.HttpContext.RequestAborted);
        cts.CancelAfter(timeout);
        CopyKey(caller, request);
        using var response = await Http.SendAsync(request, cts.Token).ConfigureAwait(false);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(cts.Token).ConfigureAwait(false));
    }

    private static void CopyKey(HttpRequest caller, HttpRequestMessage request)
    {
        if (AdminKeyGuard.PresentedKey(caller) is { } key) request.Headers.TryAddWithoutValidation(AdminKeyGuard.HeaderName, key);
    }
}
