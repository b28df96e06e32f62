namespace Comet.Grains;

/// <summary>
/// What travels in Orleans's <see cref="RequestContext"/> about the caller: the API key a
/// client presents, and the key id the silo's call filter verified it as.
/// </summary>
public static class CallerContext
{
    /// <summary>The API key (<c>ck_&lt;id&gt;_&lt;secret&gt;</c>) an SDK client sends with each call.</summary>
    public const string ApiKey = "comet.api-key";

    /// <summary>Set by the silo after verifying <see cref="ApiKey"/>: the key's id, which handlers see as <c>caller.id</c>.</summary>
    public const string VerifiedId = "comet.caller-id";

    private const string HostedClientPrefix = "hosted-";

    /// <summary>
    /// Whether a grain call comes from a client connected to a gateway: not from a grain, and not
    /// from code hosted in a silo (whose calls carry the silo's "hosted-" client id).
    /// </summary>
    public static bool IsExternalClient(GrainId? source) =>
        source is { } id && id.IsClient() && !id.Key.ToString()!.StartsWith(HostedClientPrefix, StringComparison.Ordinal);

    /// <summary>The caller of the current grain call, as an ASO's <c>caller</c> table sees it.</summary>
    public static CallerInfo Current() => new(null, RequestContext.Get(VerifiedId) as string ?? "anonymous", null, null);
}
