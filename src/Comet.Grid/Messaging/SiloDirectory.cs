using System.Net;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Wire;
using Comet.Grid.Membership;

namespace Comet.Grid.Messaging;

/// <summary>
/// Long-lived connections from this silo to the others, found by silo id through the current
/// membership view (one or two connections per peer, many requests multiplexed on each).
/// </summary>
public sealed class SiloDirectory : IAsyncDisposable
{
    private readonly FrameConnector _connector;
    private readonly Func<MembershipView> _view;

    public SiloDirectory(FrameConnector connector, Func<MembershipView> view)
    {
        _connector = connector;
        _view = view;
    }

    public async ValueTask<FrameConnection> ConnectAsync(string siloId, CancellationToken ct)
    {
        var entry = _view().Find(siloId)
            ?? throw new CometException(CometErrorCode.Unavailable, $"Silo {siloId} is not in the membership table.");
        var endpoint = new IPEndPoint(IPAddress.Parse(entry.Host), entry.SiloPort);
        return await _connector.GetConnectionAsync(endpoint, ct).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _connector.DisposeAsync();
}
