using Comet.Abstractions.Errors;
using Comet.Abstractions.Wire;
using Comet.Grid.Transport;

namespace Comet.Grid.Tests.Transport;

public class TransportFaultsTests
{
    private static readonly TimeSpan Guard = ListenerFixture.Guard;

    [Fact]
    public async Task Blocking_a_silo_cuts_its_connections_and_refuses_new_ones_until_unblocked()
    {
        var faults = new TransportFaults();
        var never = new TaskCompletionSource();
        await using var fixture = ListenerFixture.Start(
            async request =>
            {
                if (request.Opcode == 1)
                {
                    await never.Task;
                }

                await request.RespondAsync(request.Payload);
            },
            new FrameListenerOptions { StopTimeout = TimeSpan.Zero, Connection = new FrameConnectionOptions { Faults = faults } },
            new FrameConnectorOptions { Connection = new FrameConnectionOptions { Faults = faults } });
        FrameConnection before = await fixture.ConnectAsync();
        ValueTask<FramePayload> pending = before.RequestAsync(1, ReadOnlyMemory<byte>.Empty);

        faults.BlockNode("silo-1");

        CometException cut = await Assert.ThrowsAsync<CometException>(async () => await pending.AsTask().WaitAsync(Guard));
        Assert.Equal(CometErrorCode.Unavailable, cut.Code); // either end may be cut first: "blocked" or "reset by peer"
        CometException refused = await Assert.ThrowsAsync<CometException>(async () => await fixture.ConnectAsync());
        Assert.Equal(CometErrorCode.Unavailable, refused.Code);
        Assert.Equal(0, fixture.Listener.ConnectionCount);

        faults.UnblockNode("silo-1");
        FrameConnection after = await fixture.ConnectAsync();
        using FramePayload answer = await after.RequestAsync(2, new byte[] { 7 });
        Assert.Equal(7, answer.Span[0]);
        never.SetResult();
    }

    [Fact]
    public async Task Blocking_an_endpoint_makes_dials_to_it_fail_and_the_listener_drop_accepts()
    {
        var faults = new TransportFaults();
        await using var fixture = ListenerFixture.Start(
            ListenerFixture.Echo,
            new FrameListenerOptions { Connection = new FrameConnectionOptions { Faults = faults } },
            new FrameConnectorOptions { Connection = new FrameConnectionOptions { Faults = faults } });
        FrameConnection before = await fixture.ConnectAsync();

        faults.Block(fixture.EndPoint);
        await before.Completion.WaitAsync(Guard);
        CometException refused = await Assert.ThrowsAsync<CometException>(async () => await fixture.ConnectAsync());
        // A connector without fault injection really dials: the listener drops the socket at accept.
        await using var unaware = new FrameConnector(new FrameConnectorOptions(), new Hello(NodeRole.Client, "unaware"));
        CometException dropped = await Assert.ThrowsAsync<CometException>(async () => await unaware.GetConnectionAsync(fixture.EndPoint));

        Assert.True(before.IsClosed);
        Assert.Equal(CometErrorCode.Unavailable, refused.Code);
        Assert.Equal(CometErrorCode.Unavailable, dropped.Code);
        Assert.Contains("fault injection", (await fixture.Log.WaitForAsync(e => e.EventId == 1106).WaitAsync(Guard)).Message, StringComparison.Ordinal);

        faults.Unblock(fixture.EndPoint);
        using FramePayload answer = await (await fixture.ConnectAsync()).RequestAsync(1, new byte[] { 5 });
        Assert.Equal(5, answer.Span[0]);
    }
}
