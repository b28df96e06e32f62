using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Wire;

namespace Comet.Abstractions.Tests.Wire;

/// <summary>The multiplexed connection over an in-process pipe (socket behaviour is covered in Comet.Grid.Tests).</summary>
public class FrameConnectionTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private static IFrameRequestHandler Echo => new DelegateFrameRequestHandler(request => request.RespondAsync(request.Payload));

    [Fact]
    public async Task A_request_gets_its_response_and_both_sides_know_each_other()
    {
        (FrameConnection client, FrameConnection server) = await PipePair.ConnectAsync(Echo);
        await using (client)
        await using (server)
        {
            using FramePayload response = await client.RequestAsync(1, Encoding.UTF8.GetBytes("hello"));

            Assert.Equal("hello", Encoding.UTF8.GetString(response.Span));
            Assert.Equal("server", client.RemoteHello.NodeId);
            Assert.Equal(NodeRole.Client, server.RemoteHello.Role);
            Assert.Equal("client", server.RemoteHello.NodeId);
        }
    }

    [Fact]
    public async Task A_payload_writer_serialises_straight_into_the_frame()
    {
        var handler = new DelegateFrameRequestHandler(request =>
            request.RespondAsync(BinaryPrimitives.ReadInt32LittleEndian(request.Payload.Span), static (writer, value) =>
            {
                BinaryPrimitives.WriteInt32LittleEndian(writer.GetSpan(4), value * 2);
                writer.Advance(4);
            }));
        (FrameConnection client, FrameConnection server) = await PipePair.ConnectAsync(handler);
        await using (client)
        await using (server)
        {
            using FramePayload response = await client.RequestAsync(2, 21, static (writer, value) =>
            {
                BinaryPrimitives.WriteInt32LittleEndian(writer.GetSpan(4), value);
                writer.Advance(4);
            });

            Assert.Equal(42, BinaryPrimitives.ReadInt32LittleEndian(response.Span));
        }
    }

    [Fact]
    public async Task An_error_response_surfaces_as_CometException_with_code_and_message()
    {
        var handler = new DelegateFrameRequestHandler(request => request.RespondErrorAsync(CometErrorCode.Rejected, "onUpdate returned false"));
        (FrameConnection client, FrameConnection server) = await PipePair.ConnectAsync(handler);
        await using (client)
        await using (server)
        {
            CometException error = await Assert.ThrowsAsync<CometException>(async () => await client.RequestAsync(3, ReadOnlyMemory<byte>.Empty));

            Assert.Equal(CometErrorCode.Rejected, error.Code);
            Assert.Equal("onUpdate returned false", error.Message);
        }
    }

    [Fact]
    public async Task A_handler_that_throws_answers_with_an_error_and_the_connection_goes_on()
    {
        var handler = new DelegateFrameRequestHandler(request => request.Opcode switch
        {
            1 => throw new CometException(CometErrorCode.NotFound, "no such key"),
            2 => throw new InvalidOperationException("bug with secret details"),
            _ => request.RespondAsync(request.Payload),
        });
        (FrameConnection client, FrameConnection server) = await PipePair.ConnectAsync(handler);
        await using (client)
        await using (server)
        {
            CometException notFound = await Assert.ThrowsAsync<CometException>(async () => await client.RequestAsync(1, ReadOnlyMemory<byte>.Empty));
            CometException internalError = await Assert.ThrowsAsync<CometException>(async () => await client.RequestAsync(2, ReadOnlyMemory<byte>.Empty));
            using FramePayload ok = await client.RequestAsync(3, new byte[] { 5 });

            Assert.Equal(CometErrorCode.NotFound, notFound.Code);
            Assert.Equal(CometErrorCode.Internal, internalError.Code);
            Assert.DoesNotContain("secret", internalError.Message, StringComparison.Ordinal);
            Assert.Equal(5, ok.Span[0]);
        }
    }

    [Fact]
    public async Task Requests_are_answered_out_of_order_and_matched_by_id()
    {
        var gates = new TaskCompletionSource[3];
        for (int i = 0; i < gates.Length; i++)
        {
            gates[i] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        var handler = new DelegateFrameRequestHandler(async request =>
        {
            int index = request.Payload.Span[0];
            await gates[index].Task;
            await request.RespondAsync(request.Payload);
        });
        (FrameConnection client, FrameConnection server) = await PipePair.ConnectAsync(handler);
        await using (client)
        await using (server)
        {
            Task<FramePayload>[] calls = [.. Enumerable.Range(0, 3).Select(i => client.RequestAsync(1, new[] { (byte)i }).AsTask())];
            gates[2].SetResult();
            using FramePayload third = await calls[2].WaitAsync(Guard);
            Assert.False(calls[0].IsCompleted);
            gates[0].SetResult();
            gates[1].SetResult();

            Assert.Equal(2, third.Span[0]);
            Assert.Equal(0, (await calls[0]).Span[0]);
            Assert.Equal(1, (await calls[1]).Span[0]);
        }
    }

    [Fact]
    public async Task A_one_way_frame_reaches_the_handler_without_an_answer()
    {
        var received = new TaskCompletionSource<(ushort, byte[])>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new DelegateFrameRequestHandler(request =>
        {
            Assert.True(request.IsOneWay);
            Assert.Throws<InvalidOperationException>(() => { _ = request.RespondAsync(ReadOnlyMemory<byte>.Empty); });
            received.SetResult((request.Opcode, request.Payload.ToArray()));
            return ValueTask.CompletedTask;
        });
        (FrameConnection client, FrameConnection server) = await PipePair.ConnectAsync(handler);
        await using (client)
        await using (server)
        {
            await client.SendOneWayAsync(77, new byte[] { 1, 2 });

            (ushort opcode, byte[] payload) = await received.Task.WaitAsync(Guard);
            Assert.Equal(77, opcode);
            Assert.Equal(new byte[] { 1, 2 }, payload);
        }
    }

    [Fact]
    public async Task Either_side_can_serve_requests_on_the_same_connection()
    {
        var clientHandler = new DelegateFrameRequestHandler(request => request.RespondAsync(Encoding.UTF8.GetBytes("from client")));
        (FrameConnection client, FrameConnection server) = await PipePair.ConnectAsync(Echo, clientHandler: clientHandler);
        await using (client)
        await using (server)
        {
            using FramePayload fromClient = await server.RequestAsync(9, ReadOnlyMemory<byte>.Empty);
            using FramePayload fromServer = await client.RequestAsync(9, new byte[] { 1 });

            Assert.Equal("from client", Encoding.UTF8.GetString(fromClient.Span));
            Assert.Equal(1, fromServer.Span[0]);
        }
    }

    [Fact]
    public async Task Answering_twice_is_a_bug_that_throws()
    {
        var second = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new DelegateFrameRequestHandler(async request =>
        {
            await request.RespondAsync(request.Payload);
            second.SetResult(Record.Exception(() => { _ = request.RespondErrorAsync(CometErrorCode.Internal, "again"); }));
        });
        (FrameConnection client, FrameConnection server) = await PipePair.ConnectAsync(handler);
        await using (client)
        await using (server)
        {
            using FramePayload _ = await client.RequestAsync(1, new byte[] { 1 });

            Assert.IsType<InvalidOperationException>(await second.Task.WaitAsync(Guard));
        }
    }

    [Fact]
    public async Task Cancelling_a_request_fails_it_and_the_late_response_is_dropped()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new DelegateFrameRequestHandler(async request =>
        {
            if (request.Opcode == 1)
            {
                await release.Task;
            }

            await request.RespondAsync(request.Payload);
        });
        (FrameConnection client, FrameConnection server) = await PipePair.ConnectAsync(handler);
        var dropped = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Diagnostic += (_, e) => dropped.TrySetResult(e.Message);
        await using (client)
        await using (server)
        {
            using var cts = new CancellationTokenSource();
            ValueTask<FramePayload> call = client.RequestAsync(1, new byte[] { 1 }, cts.Token);
            await cts.CancelAsync();

            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await call);
            Assert.Equal(0, client.PendingRequestCount);
            release.SetResult();
            Assert.Contains("not waiting", await dropped.Task.WaitAsync(Guard), StringComparison.Ordinal);
            using FramePayload after = await client.RequestAsync(2, new byte[] { 2 });
            Assert.Equal(2, after.Span[0]);
        }
    }

    [Fact]
    public async Task A_request_with_no_answer_times_out_with_Timeout()
    {
        var handler = new DelegateFrameRequestHandler(_ => ValueTask.CompletedTask); // never answers
        var options = new FrameConnectionOptions { RequestTimeout = TimeSpan.FromMilliseconds(100), DrainTimeout = TimeSpan.Zero };
        (FrameConnection client, FrameConnection server) = await PipePair.ConnectAsync(handler, options);
        await using (client)
        await using (server)
        {
            CometException error = await Assert.ThrowsAsync<CometException>(async () => await client.RequestAsync(5, ReadOnlyMemory<byte>.Empty).AsTask().WaitAsync(Guard));

            Assert.Equal(CometErrorCode.Timeout, error.Code);
            Assert.Contains("opcode 5", error.Message, StringComparison.Ordinal);
            Assert.False(client.IsClosed);
        }
    }

    [Fact]
    public async Task A_payload_over_the_maximum_is_refused_with_TooLarge_before_anything_is_sent()
    {
        var options = new FrameConnectionOptions { MaxFrameSize = 64 * 1024 };
        (FrameConnection client, FrameConnection server) = await PipePair.ConnectAsync(Echo, options);
        await using (client)
        await using (server)
        {
            int max = options.MaxFrameSize - FrameCodec.HeaderSize;
            CometException direct = await Assert.ThrowsAsync<CometException>(async () => await client.RequestAsync(1, new byte[max + 1]));
            CometException viaWriter = await Assert.ThrowsAsync<CometException>(async () =>
                await client.RequestAsync(1, max + 1, static (writer, size) => writer.Write(new byte[size])));
            using FramePayload exact = await client.RequestAsync(1, new byte[max]);

            Assert.Equal(CometErrorCode.TooLarge, direct.Code);
            Assert.Equal(CometErrorCode.TooLarge, viaWriter.Code);
            Assert.Equal(max, exact.Length);
        }
    }

    [Fact]
    public async Task A_response_over_the_maximum_reaches_the_requester_as_TooLarge()
    {
        var options = new FrameConnectionOptions { MaxFrameSize = 64 * 1024 };
        var handler = new DelegateFrameRequestHandler(async request =>
        {
            await Assert.ThrowsAsync<CometException>(async () => await request.RespondAsync(new byte[options.MaxFrameSize]));
        });
        (FrameConnection client, FrameConnection server) = await PipePair.ConnectAsync(handler, options);
        await using (client)
        await using (server)
        {
            CometException error = await Assert.ThrowsAsync<CometException>(async () => await client.RequestAsync(1, ReadOnlyMemory<byte>.Empty).AsTask().WaitAsync(Guard));

            Assert.Equal(CometErrorCode.TooLarge, error.Code);
            Assert.Contains("response payload", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_payload_writer_that_throws_leaves_no_partial_frame()
    {
        (FrameConnection client, FrameConnection server) = await PipePair.ConnectAsync(Echo);
        await using (client)
        await using (server)
        {
            await Assert.ThrowsAsync<FormatException>(async () => await client.RequestAsync(1, 0, static (writer, _) =>
            {
                writer.Write(new byte[] { 1, 2, 3 });
                throw new FormatException("cannot serialise");
            }));
            using FramePayload after = await client.RequestAsync(1, new byte[] { 4 });

            Assert.Equal(new byte[] { 4 }, after.ToArray());
            Assert.Equal(0, client.PendingRequestCount);
        }
    }

    [Fact]
    public async Task A_response_writer_that_throws_still_answers_the_requester_with_Internal()
    {
        var handler = new DelegateFrameRequestHandler(request =>
            request.RespondAsync(0, static (writer, _) =>
            {
                writer.Write(new byte[] { 1 });
                throw new FormatException("cannot serialise the answer");
            }));
        (FrameConnection client, FrameConnection server) = await PipePair.ConnectAsync(handler);
        await using (client)
        await using (server)
        {
            CometException error = await Assert.ThrowsAsync<CometException>(async () => await client.RequestAsync(1, ReadOnlyMemory<byte>.Empty).AsTask().WaitAsync(Guard));

            Assert.Equal(CometErrorCode.Internal, error.Code);
        }
    }

    [Fact]
    public async Task A_side_without_a_handler_answers_requests_with_BadRequest()
    {
        (FrameConnection client, FrameConnection server) = await PipePair.ConnectAsync(Echo);
        await using (client)
        await using (server)
        {
            CometException error = await Assert.ThrowsAsync<CometException>(async () => await server.RequestAsync(1, ReadOnlyMemory<byte>.Empty));

            Assert.Equal(CometErrorCode.BadRequest, error.Code);
            Assert.Contains("does not serve requests", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Ping_round_trips()
    {
        (FrameConnection client, FrameConnection server) = await PipePair.ConnectAsync(Echo);
        await using (client)
        await using (server)
        {
            await client.PingAsync().AsTask().WaitAsync(Guard);
            await server.PingAsync().AsTask().WaitAsync(Guard);
        }
    }

    [Fact]
    public async Task Closing_fails_pending_requests_with_Unavailable_and_raises_Closed_once()
    {
        var handler = new DelegateFrameRequestHandler(_ => ValueTask.CompletedTask);
        (FrameConnection client, FrameConnection server) = await PipePair.ConnectAsync(handler);
        int raised = 0;
        client.Closed += (_, _) => Interlocked.Increment(ref raised);
        ValueTask<FramePayload> pending = client.RequestAsync(1, ReadOnlyMemory<byte>.Empty);

        await server.DisposeAsync();
        CometException error = await Assert.ThrowsAsync<CometException>(async () => await pending.AsTask().WaitAsync(Guard));
        await client.Completion.WaitAsync(Guard);
        var late = new TaskCompletionSource<FrameConnectionClosedEventArgs>();
        client.Closed += (_, e) => late.SetResult(e);

        Assert.Equal(CometErrorCode.Unavailable, error.Code);
        Assert.StartsWith("connection to ", error.Message, StringComparison.Ordinal);
        Assert.Contains(" closed: ", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, raised);
        Assert.True(late.Task.IsCompleted);
        Assert.Equal(CometErrorCode.Unavailable, (await Assert.ThrowsAsync<CometException>(async () => await client.RequestAsync(1, ReadOnlyMemory<byte>.Empty))).Code);
        await client.DisposeAsync();
    }

    [Fact]
    public async Task Dispose_lets_in_flight_incoming_requests_answer_first()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new DelegateFrameRequestHandler(async request =>
        {
            started.SetResult();
            await release.Task;
            await request.RespondAsync(new byte[] { 42 });
        });
        (FrameConnection client, FrameConnection server) = await PipePair.ConnectAsync(handler);
        ValueTask<FramePayload> call = client.RequestAsync(1, ReadOnlyMemory<byte>.Empty);
        await started.Task.WaitAsync(Guard);

        Task closing = server.CloseAsync(Guard);
        Assert.False(closing.IsCompleted);
        release.SetResult();
        using FramePayload answer = await call.AsTask().WaitAsync(Guard);
        await closing.WaitAsync(Guard);

        Assert.Equal(42, answer.Span[0]);
        await client.Completion.WaitAsync(Guard);
        await client.DisposeAsync();
    }

    [Fact]
    public async Task A_refused_hello_fails_the_dialler_with_Unauthorized()
    {
        (IDuplexPipe clientPipe, IDuplexPipe serverPipe) = PipePair.Create();
        Task<FrameConnection> accepting = FrameConnection.AcceptAsync(
            serverPipe, new Hello(NodeRole.Silo, "server"), handler: Echo,
            validatePeer: hello => ValueTask.FromResult(hello.Auth.Span.SequenceEqual("right key"u8)));

        CometException dialler = await Assert.ThrowsAsync<CometException>(() =>
            FrameConnection.ConnectAsync(clientPipe, new Hello(NodeRole.Client, "app", "wrong key"u8.ToArray())));
        CometException acceptor = await Assert.ThrowsAsync<CometException>(() => accepting);

        Assert.Equal(CometErrorCode.Unauthorized, dialler.Code);
        Assert.Equal(CometErrorCode.Unauthorized, acceptor.Code);
        Assert.Contains("app", dialler.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_protocol_version_mismatch_fails_with_a_clear_BadRequest()
    {
        (IDuplexPipe clientPipe, IDuplexPipe serverPipe) = PipePair.Create();
        Task<FrameConnection> accepting = FrameConnection.AcceptAsync(serverPipe, new Hello(NodeRole.Silo, "server"), handler: Echo);

        CometException error = await Assert.ThrowsAsync<CometException>(() =>
            FrameConnection.ConnectAsync(clientPipe, new Hello(NodeRole.Client, "app", protocolVersion: 99)));
        await Assert.ThrowsAsync<CometException>(() => accepting);

        Assert.Equal(CometErrorCode.BadRequest, error.Code);
        Assert.Contains("protocol version 99 is not supported", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_silent_peer_fails_the_handshake_with_Timeout()
    {
        (_, IDuplexPipe serverPipe) = PipePair.Create();
        var options = new FrameConnectionOptions { HandshakeTimeout = TimeSpan.FromMilliseconds(100) };

        CometException error = await Assert.ThrowsAsync<CometException>(() =>
            FrameConnection.AcceptAsync(serverPipe, new Hello(NodeRole.Silo, "server"), options, Echo).WaitAsync(Guard));

        Assert.Equal(CometErrorCode.Timeout, error.Code);
    }

    [Fact]
    public async Task A_malformed_frame_closes_the_connection_with_MalformedFrameException()
    {
        (IDuplexPipe clientPipe, IDuplexPipe serverPipe) = PipePair.Create();
        Task<FrameConnection> accepting = FrameConnection.AcceptAsync(serverPipe, new Hello(NodeRole.Silo, "server"), handler: Echo);
        var hello = new ArrayBufferWriter<byte>();
        new Hello(NodeRole.Client, "raw").WritePayload(hello);
        FrameCodec.WriteFrame(clientPipe.Output, new FrameHeader(FrameKind.Hello, 0, 0, hello.WrittenCount), hello.WrittenSpan);
        await clientPipe.Output.FlushAsync();
        FrameConnection server = await accepting.WaitAsync(Guard);
        var closed = new TaskCompletionSource<FrameConnectionClosedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Closed += (_, e) => closed.TrySetResult(e);

        await clientPipe.Output.WriteAsync(new byte[] { 20, 0, 0, 0, 99, 0, 0, 0 });
        FrameConnectionClosedEventArgs e = await closed.Task.WaitAsync(Guard);

        Assert.True(e.IsMalformedFrame);
        Assert.IsType<MalformedFrameException>(e.Reason);
        Assert.Equal(CometErrorCode.MalformedFrame, e.Reason.Code);
        Assert.Contains("unknown frame kind 99", e.Reason.Message, StringComparison.Ordinal);
    }
}
