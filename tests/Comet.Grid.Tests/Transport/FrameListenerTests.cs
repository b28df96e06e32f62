using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Wire;
using Comet.Grid.Transport;

namespace Comet.Grid.Tests.Transport;

public class FrameListenerTests
{
    private static readonly TimeSpan Guard = ListenerFixture.Guard;

    [Fact]
    public async Task A_request_round_trips_over_a_real_socket_on_an_os_chosen_port()
    {
        await using var fixture = ListenerFixture.Start(ListenerFixture.Echo);
        FrameConnection connection = await fixture.ConnectAsync();

        using FramePayload response = await connection.RequestAsync(1, Encoding.UTF8.GetBytes("ping"));

        Assert.NotEqual(0, fixture.Listener.Port);
        Assert.Equal("ping", Encoding.UTF8.GetString(response.Span));
        Assert.Equal("silo-1", connection.RemoteHello.NodeId);
        Assert.Same(connection, await fixture.ConnectAsync());
        Assert.Equal(1, fixture.Listener.ConnectionCount);
        Assert.Equal("app-1", fixture.Listener.Connections[0].RemoteHello.NodeId);
    }

    [Fact]
    public async Task Ten_thousand_concurrent_requests_over_one_connection_are_each_matched_to_their_own_response()
    {
        const int count = 10_000;
        var answeredOrder = new ConcurrentQueue<int>();
        await using var fixture = ListenerFixture.Start(async request =>
        {
            int n = BinaryPrimitives.ReadInt32LittleEndian(request.Payload.Span);
            if (n % 3 == 0)
            {
                await Task.Delay(n % 7); // some answers overtake others
            }
            else if (n % 3 == 1)
            {
                await Task.Yield();
            }

            answeredOrder.Enqueue(n);
            await request.RespondAsync(n, static (writer, value) =>
            {
                BinaryPrimitives.WriteInt32LittleEndian(writer.GetSpan(8), value);
                BinaryPrimitives.WriteInt32LittleEndian(writer.GetSpan(8)[4..], value * 7);
                writer.Advance(8);
            });
        });
        FrameConnection connection = await fixture.ConnectAsync();

        var calls = new Task<FramePayload>[count];
        for (int i = 0; i < count; i++)
        {
            calls[i] = connection.RequestAsync(2, i, static (writer, value) =>
            {
                BinaryPrimitives.WriteInt32LittleEndian(writer.GetSpan(4), value);
                writer.Advance(4);
            }).AsTask();
        }

        FramePayload[] responses = await Task.WhenAll(calls).WaitAsync(Guard);
        for (int i = 0; i < count; i++)
        {
            Assert.Equal(i, BinaryPrimitives.ReadInt32LittleEndian(responses[i].Span));
            Assert.Equal(i * 7, BinaryPrimitives.ReadInt32LittleEndian(responses[i].Span[4..]));
            responses[i].Dispose();
        }

        Assert.Equal(count, answeredOrder.Count);
        Assert.NotEqual(Enumerable.Range(0, count), answeredOrder); // answered out of order, still matched
        Assert.Equal(0, connection.PendingRequestCount);
        Assert.Equal(1, fixture.Listener.ConnectionCount);
    }

    [Fact]
    public async Task An_error_response_surfaces_as_CometException_with_the_servers_code_and_message()
    {
        await using var fixture = ListenerFixture.Start(request => request.RespondErrorAsync(CometErrorCode.QuorumNotReached, "1 of 2 replicas answered"));
        FrameConnection connection = await fixture.ConnectAsync();

        CometException error = await Assert.ThrowsAsync<CometException>(async () => await connection.RequestAsync(1, ReadOnlyMemory<byte>.Empty));

        Assert.Equal(CometErrorCode.QuorumNotReached, error.Code);
        Assert.Equal("1 of 2 replicas answered", error.Message);
    }

    [Fact]
    public async Task A_cancelled_request_throws_and_the_connection_keeps_working()
    {
        var never = new TaskCompletionSource();
        await using var fixture = ListenerFixture.Start(async request =>
        {
            if (request.Opcode == 1)
            {
                await never.Task;
            }

            await request.RespondAsync(request.Payload);
        });
        FrameConnection connection = await fixture.ConnectAsync();
        using var cts = new CancellationTokenSource();

        ValueTask<FramePayload> call = connection.RequestAsync(1, ReadOnlyMemory<byte>.Empty, cts.Token);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await call);
        using FramePayload ok = await connection.RequestAsync(2, new byte[] { 3 });
        Assert.Equal(3, ok.Span[0]);
        never.SetResult();
    }

    [Fact]
    public async Task A_request_the_server_never_answers_times_out()
    {
        var connectorOptions = new FrameConnectorOptions { Connection = new FrameConnectionOptions { RequestTimeout = TimeSpan.FromMilliseconds(200) } };
        await using var fixture = ListenerFixture.Start(
            _ => ValueTask.CompletedTask,
            new FrameListenerOptions { StopTimeout = TimeSpan.Zero },
            connectorOptions);
        FrameConnection connection = await fixture.ConnectAsync();

        CometException error = await Assert.ThrowsAsync<CometException>(async () => await connection.RequestAsync(4, ReadOnlyMemory<byte>.Empty).AsTask().WaitAsync(Guard));

        Assert.Equal(CometErrorCode.Timeout, error.Code);
        Assert.False(connection.IsClosed);
    }

    [Fact]
    public async Task A_server_killed_mid_flight_fails_every_pending_request_with_Unavailable_and_a_reconnect_works()
    {
        var received = 0;
        var allReceived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = ListenerFixture.Start(
            request =>
            {
                if (Interlocked.Increment(ref received) == 100)
                {
                    allReceived.SetResult();
                }

                return ValueTask.CompletedTask; // never answers
            },
            new FrameListenerOptions { StopTimeout = TimeSpan.Zero });
        FrameConnection connection = await first.ConnectAsync();
        Task<FramePayload>[] pending = [.. Enumerable.Range(0, 100).Select(_ => connection.RequestAsync(1, ReadOnlyMemory<byte>.Empty).AsTask())];
        await allReceived.Task.WaitAsync(Guard);

        await first.Listener.StopAsync(new CancellationToken(canceled: true)); // abort, no draining

        foreach (Task<FramePayload> call in pending)
        {
            CometException error = await Assert.ThrowsAsync<CometException>(() => call.WaitAsync(Guard));
            Assert.Equal(CometErrorCode.Unavailable, error.Code);
            Assert.StartsWith($"connection to {first.EndPoint} closed: ", error.Message, StringComparison.Ordinal);
        }

        await connection.Completion.WaitAsync(Guard);
        await using var restarted = ListenerFixture.Start(ListenerFixture.Echo, new FrameListenerOptions { EndPoint = first.EndPoint });
        FrameConnection again = await first.Connector.GetConnectionAsync(first.EndPoint);
        using FramePayload answer = await again.RequestAsync(1, new byte[] { 9 });

        Assert.NotSame(connection, again);
        Assert.Equal(9, answer.Span[0]);
        await first.DisposeAsync();
    }

    [Fact]
    public async Task Connecting_to_a_port_nobody_listens_on_fails_with_Unavailable()
    {
        var fixture = ListenerFixture.Start(ListenerFixture.Echo);
        var endPoint = fixture.EndPoint;
        await fixture.Listener.StopAsync();

        CometException error = await Assert.ThrowsAsync<CometException>(async () => await fixture.Connector.GetConnectionAsync(endPoint));

        Assert.Equal(CometErrorCode.Unavailable, error.Code);
        Assert.Contains(endPoint.ToString(), error.Message, StringComparison.Ordinal);
        await fixture.DisposeAsync();
    }

    [Fact]
    public async Task Stop_lets_in_flight_requests_finish_and_answers_new_ones_Unavailable()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var fixture = ListenerFixture.Start(async request =>
        {
            if (request.Opcode == 1)
            {
                started.SetResult();
                await release.Task;
            }

            await request.RespondAsync(new byte[] { (byte)request.Opcode });
        });
        FrameConnection connection = await fixture.ConnectAsync();
        ValueTask<FramePayload> inFlight = connection.RequestAsync(1, ReadOnlyMemory<byte>.Empty);
        await started.Task.WaitAsync(Guard);

        Task stopping = fixture.Listener.StopAsync();
        CometException refused = await RefusedAsync(connection).WaitAsync(Guard); // once the connection drains
        Assert.False(stopping.IsCompleted);
        release.SetResult();
        using FramePayload answer = await inFlight.AsTask().WaitAsync(Guard);
        await stopping.WaitAsync(Guard);

        Assert.Equal(1, answer.Span[0]);
        Assert.Equal(CometErrorCode.Unavailable, refused.Code);
        await connection.Completion.WaitAsync(Guard);
        Assert.Equal(0, fixture.Listener.ConnectionCount);
    }

    private static async Task<CometException> RefusedAsync(FrameConnection connection)
    {
        while (true)
        {
            try
            {
                using FramePayload _ = await connection.RequestAsync(2, ReadOnlyMemory<byte>.Empty);
            }
            catch (CometException ex)
            {
                return ex;
            }
        }
    }

    [Fact]
    public async Task The_silo_can_send_requests_back_to_the_client_on_the_same_connection()
    {
        var clientHandler = new DelegateFrameRequestHandler(request => request.RespondAsync(Encoding.UTF8.GetBytes("client here")));
        await using var fixture = ListenerFixture.Start(ListenerFixture.Echo, clientHandler: clientHandler);
        _ = await fixture.ConnectAsync();

        FrameConnection serverSide = fixture.Listener.Connections.Single();
        using FramePayload answer = await serverSide.RequestAsync(5, ReadOnlyMemory<byte>.Empty);

        Assert.Equal("client here", Encoding.UTF8.GetString(answer.Span));
    }

    [Fact]
    public async Task A_pool_of_two_connections_spreads_requests_and_replaces_a_failed_one()
    {
        await using var fixture = ListenerFixture.Start(ListenerFixture.Echo, connectorOptions: new FrameConnectorOptions { ConnectionsPerEndpoint = 2 });

        FrameConnection a = await fixture.ConnectAsync();
        FrameConnection b = await fixture.ConnectAsync();
        Assert.NotSame(a, b);
        Assert.Same(a, await fixture.ConnectAsync());

        a.Abort("test kills it");
        FrameConnection replaced = await fixture.ConnectAsync();
        using FramePayload answer = await replaced.RequestAsync(1, new byte[] { 1 });

        Assert.NotSame(a, replaced);
        Assert.Equal(1, answer.Span[0]);
    }

    [Fact]
    public async Task A_refused_handshake_fails_the_client_with_Unauthorized_and_is_logged()
    {
        await using var fixture = ListenerFixture.Start(
            ListenerFixture.Echo,
            validatePeer: hello => ValueTask.FromResult(hello.Auth.Span.SequenceEqual("api-key-123"u8)),
            clientHello: new Hello(NodeRole.Client, "intruder", "guess"u8.ToArray()));

        CometException error = await Assert.ThrowsAsync<CometException>(async () => await fixture.ConnectAsync());
        LogEntry logged = await fixture.Log.WaitForAsync(e => e.EventId == 1104).WaitAsync(Guard);

        Assert.Equal(CometErrorCode.Unauthorized, error.Code);
        Assert.Contains("intruder", error.Message, StringComparison.Ordinal);
        Assert.Contains("Unauthorized", logged.Message, StringComparison.Ordinal);
        Assert.Equal(0, fixture.Listener.ConnectionCount);
    }

    [Fact]
    public async Task A_client_with_the_right_key_passes_the_validator()
    {
        await using var fixture = ListenerFixture.Start(
            ListenerFixture.Echo,
            validatePeer: hello => ValueTask.FromResult(hello.Auth.Span.SequenceEqual("api-key-123"u8)),
            clientHello: new Hello(NodeRole.Client, "app", "api-key-123"u8.ToArray()));

        FrameConnection connection = await fixture.ConnectAsync();
        using FramePayload answer = await connection.RequestAsync(1, new byte[] { 8 });

        Assert.Equal(8, answer.Span[0]);
    }

    [Fact]
    public async Task A_request_over_the_maximum_is_refused_locally_with_TooLarge_and_the_connection_stays_up()
    {
        await using var fixture = ListenerFixture.Start(ListenerFixture.Echo);
        FrameConnection connection = await fixture.ConnectAsync();

        CometException error = await Assert.ThrowsAsync<CometException>(async () => await connection.RequestAsync(1, new byte[FrameCodec.DefaultMaxFrameSize]));
        using FramePayload big = await connection.RequestAsync(1, new byte[FrameCodec.DefaultMaxFrameSize - FrameCodec.HeaderSize]);

        Assert.Equal(CometErrorCode.TooLarge, error.Code);
        Assert.Equal(FrameCodec.DefaultMaxFrameSize - FrameCodec.HeaderSize, big.Length);
    }

    [Fact]
    public async Task A_frame_over_the_servers_maximum_closes_that_connection_as_malformed_and_the_client_learns_why()
    {
        var listenerOptions = new FrameListenerOptions { Connection = new FrameConnectionOptions { MaxFrameSize = 64 * 1024 } };
        await using var fixture = ListenerFixture.Start(ListenerFixture.Echo, listenerOptions);
        FrameConnection connection = await fixture.ConnectAsync();

        CometException error = await Assert.ThrowsAsync<CometException>(async () => await connection.RequestAsync(1, new byte[100_000]).AsTask().WaitAsync(Guard));
        LogEntry logged = await fixture.Log.WaitForAsync(e => e.EventId == 1103).WaitAsync(Guard);

        Assert.Equal(CometErrorCode.Unavailable, error.Code);
        Assert.Contains("MalformedFrame", error.Message, StringComparison.Ordinal);
        Assert.Contains("more than the maximum of 65536 bytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("more than the maximum of 65536 bytes", logged.Message, StringComparison.Ordinal);
        Assert.IsType<MalformedFrameException>(connection.CloseReason!.InnerException);
    }
}
