using System.Buffers.Binary;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Wire;
using Comet.Grid.Transport;

namespace Comet.Grid.Tests.Transport;

/// <summary>A silo never crashes on input: bad bytes close only the connection that carried them.</summary>
public class MalformedInputTests
{
    private static readonly TimeSpan Guard = ListenerFixture.Guard;

    public static TheoryData<string, bool> BadInputs() => new()
    {
        { "random bytes", false },
        { "random bytes", true },
        { "huge length", false },
        { "huge length", true },
        { "zero length", false },
        { "zero length", true },
        { "bad kind", false },
        { "bad kind", true },
        { "truncated then close", false },
        { "truncated then close", true },
        { "request before hello", false },
        { "second hello", true },
        { "request id 0", true },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task Bad_input_closes_only_that_connection_is_logged_and_other_clients_are_still_served(string input, bool afterHandshake)
    {
        await using var fixture = ListenerFixture.Start(ListenerFixture.Echo);
        FrameConnection healthy = await fixture.ConnectAsync();
        using RawClient bad = await RawClient.ConnectAsync(fixture.EndPoint, afterHandshake);

        await SendAsync(bad, input);
        byte[] lastWords = await bad.ReadUntilClosedAsync();
        LogEntry logged = await fixture.Log.WaitForAsync(e => e.EventId == 1103).WaitAsync(Guard);

        Assert.Contains(input == "truncated then close" ? "truncated" : "malformed", logged.Message, StringComparison.OrdinalIgnoreCase);
        if (lastWords.Length > 0)
        {
            // Best effort: the server says why before closing (a connection-level MalformedFrame error).
            Assert.Equal((byte)FrameKind.ErrorResponse, lastWords[4]);
            Assert.Equal(CometErrorCode.MalformedFrame, (CometErrorCode)BinaryPrimitives.ReadInt32LittleEndian(lastWords.AsSpan(FrameCodec.PrefixedHeaderSize)));
        }

        using FramePayload stillServed = await healthy.RequestAsync(1, new byte[] { 1 });
        await using var newcomer = new FrameConnector(new FrameConnectorOptions(), new Hello(NodeRole.Client, "newcomer"));
        FrameConnection fresh = await newcomer.GetConnectionAsync(fixture.EndPoint);
        using FramePayload freshServed = await fresh.RequestAsync(1, new byte[] { 2 });
        Assert.Equal(1, stillServed.Span[0]);
        Assert.Equal(2, freshServed.Span[0]);
        Assert.False(healthy.IsClosed);
    }

    [Fact]
    public async Task A_peer_that_stalls_in_the_middle_of_a_frame_is_disconnected()
    {
        var options = new FrameListenerOptions { Connection = new FrameConnectionOptions { PartialFrameTimeout = TimeSpan.FromMilliseconds(200) } };
        await using var fixture = ListenerFixture.Start(ListenerFixture.Echo, options);
        using RawClient slow = await RawClient.ConnectAsync(fixture.EndPoint, handshake: true);

        await slow.SendAsync(new byte[] { 100, 0, 0, 0, (byte)FrameKind.Request, 0, 1, 0, 1 }); // 9 of 104 bytes, then nothing
        await slow.ReadUntilClosedAsync();
        LogEntry logged = await fixture.Log.WaitForAsync(e => e.EventId == 1103).WaitAsync(Guard);

        Assert.Contains("did not complete it", logged.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_peer_that_never_says_hello_is_disconnected()
    {
        var options = new FrameListenerOptions { Connection = new FrameConnectionOptions { HandshakeTimeout = TimeSpan.FromMilliseconds(200) } };
        await using var fixture = ListenerFixture.Start(ListenerFixture.Echo, options);
        using RawClient silent = await RawClient.ConnectAsync(fixture.EndPoint, handshake: false);

        await silent.SendAsync(new byte[] { 30, 0 }); // half a length prefix, then nothing
        await silent.ReadUntilClosedAsync();
        LogEntry logged = await fixture.Log.WaitForAsync(e => e.EventId == 1105).WaitAsync(Guard);

        Assert.Contains("did not complete the handshake", logged.Message, StringComparison.Ordinal);
    }

    private static async Task SendAsync(RawClient client, string input)
    {
        switch (input)
        {
            case "random bytes":
                byte[] random = new byte[4096];
                new Random(1234).NextBytes(random);
                await client.SendAsync(random);
                break;
            case "huge length":
                await client.SendAsync(new byte[] { 0xFF, 0xFF, 0xFF, 0x7F, (byte)FrameKind.Request, 0 });
                break;
            case "zero length":
                await client.SendAsync(new byte[] { 0, 0, 0, 0 });
                break;
            case "bad kind":
                await client.SendAsync(new byte[] { 12, 0, 0, 0, 42, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0 });
                break;
            case "truncated then close":
                await client.SendAsync(new byte[] { 100, 0, 0, 0, (byte)FrameKind.Request, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3 });
                client.ShutdownSend();
                break;
            case "request before hello":
                await client.SendFrameAsync(FrameKind.Request, 1, 1, new byte[] { 1 });
                break;
            case "second hello":
                await client.SendFrameAsync(FrameKind.Hello, 0, 0, new byte[] { 1, 0, 1, 0, 1, 0, 0x41, 0, 0 });
                break;
            case "request id 0":
                await client.SendFrameAsync(FrameKind.Request, 1, 0, new byte[] { 1 });
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(input), input, null);
        }
    }
}
