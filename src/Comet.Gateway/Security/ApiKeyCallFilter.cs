using System.Text;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Protocol;
using Comet.Grains;
using Microsoft.Extensions.Logging;

namespace Comet.Gateway.Security;

/// <summary>
/// The SDK's side of the REST gateway's checks: a client's call to the coordinator carries its
/// API key in the request context; this filter checks the key, the namespace, the rates and a
/// put's admission before the call runs, and hands the verified key id to the coordinator as
/// the caller. Calls from inside the silo (the REST gateway, which checked already) pass.
/// </summary>
public sealed class ApiKeyCallFilter(GatewaySecurity security, ILocalSiloDetails silo, ILogger<ApiKeyCallFilter> logger) : IIncomingGrainCallFilter
{
    /// <summary>
    /// Orleans does not tell a grain call the client's address. A gateway that listens on loopback
    /// only can be reached from this machine only, so its clients count as loopback callers (dev
    /// mode's anonymous access); a gateway on any other address gives its clients no address, so
    /// anonymous access is refused there.
    /// </summary>
    private readonly System.Net.IPAddress? _clientAddress =
        silo.GatewayAddress is { } gateway && System.Net.IPAddress.IsLoopback(gateway.Endpoint.Address) ? gateway.Endpoint.Address : null;

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.TargetContext?.GrainInstance is not CoordinatorGrain || !CallerContext.IsExternalClient(context.SourceId))
        {
            await context.Invoke().ConfigureAwait(true);
            return;
        }
        var (ns, key) = Target(context.Request.GetArgument(0));
        var credentials = await security.CredentialsOfAsync(RequestContext.Get(CallerContext.ApiKey) as string, _clientAddress, CancellationToken.None)
            .ConfigureAwait(true);
        try
        {
            security.Admit(credentials, ns, key);
            if (context.Request.GetArgument(0) is PutCommand put)
                security.AdmitPut(credentials, Encoding.UTF8.GetByteCount(key) + put.Value.Length + (put.Code?.Length ?? 0), put.TtlSeconds);
        }
        catch (CometException ex)
        {
            SecurityLog.ClientRefused(logger, ns, ex.Code.ToString());
            throw new CometException(ex.Code, ex.Message);
        }
        RequestContext.Set(CallerContext.VerifiedId, credentials.Key?.Id ?? "anonymous");
        await context.Invoke().ConfigureAwait(true);
    }

    private static (string Namespace, string Key) Target(object? argument) => argument switch
    {
        PutCommand c => (c.Namespace, c.Key),
        GetCommand c => (c.Namespace, c.Key),
        DeleteCommand c => (c.Namespace, c.Key),
        HistoryQuery c => (c.Namespace, c.Key),
        _ => throw new CometException(CometErrorCode.BadRequest, "Unknown coordinator request."),
    };

}
