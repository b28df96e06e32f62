using System.Net;
using Comet.Grains;
using Microsoft.Extensions.Options;

namespace Comet.Gateway.Security;

/// <summary>
/// One silo's checks of a caller, the same for REST and the SDK, before anything runs: who the
/// caller is (API key), whether it may use the namespace (401/403), its and the object's
/// request rate (429), and, for a put, its fair share of the storage this silo commits (429).
/// </summary>
public sealed class GatewaySecurity
{
    public GatewaySecurity(ApiKeyStore keys, IOptions<CometGridOptions> grid, IOptions<SecurityOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(options);
        Options = options.Value;
        Options.Validate();
        Keys = keys;
        Authorizer = new RequestAuthorizer(grid.Value, keys);
        Admission = new FairStorageAdmission(Options.Admission, time);
        RateLimits = new RequestRateLimiter(Options.RateLimits, time);
    }

    public SecurityOptions Options { get; }

    public ApiKeyStore Keys { get; }

    public RequestAuthorizer Authorizer { get; }

    public FairStorageAdmission Admission { get; }

    public RequestRateLimiter RateLimits { get; }

    /// <summary>Namespace access (401/403), then the client's and the object's request rate (429).</summary>
    public void Admit(CallerCredentials caller, string ns, string key)
    {
        ArgumentNullException.ThrowIfNull(caller);
        Authorizer.Authorize(caller, ns);
        RateLimits.Take(caller.Account, ns, key);
    }

    /// <summary>A put's storage: the client's fair share of this silo's byte-seconds (429 past it when contended).</summary>
    public void AdmitPut(CallerCredentials caller, long bytes, int? ttlSeconds)
    {
        ArgumentNullException.ThrowIfNull(caller);
        Admission.Admit(caller.Account, Admission.CostOf(bytes, ttlSeconds));
    }

    /// <summary>What a caller presented (an API key, or none), checked against the keys this silo knows.</summary>
    public async ValueTask<CallerCredentials> CredentialsOfAsync(string? token, IPAddress? address, CancellationToken ct)
    {
        if (token is null) return CallerCredentials.Anonymous(address);
        var key = await Keys.AuthenticateAsync(token, ct).ConfigureAwait(false);
        return key is null ? CallerCredentials.Invalid(address) : CallerCredentials.Valid(key, address);
    }
}
