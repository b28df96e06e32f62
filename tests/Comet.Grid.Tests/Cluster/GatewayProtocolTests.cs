using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Protocol;
using Comet.Abstractions.Wire;

namespace Comet.Grid.Tests.Cluster;

public class GatewayProtocolTests : IClassFixture<ClusterFixture>
{
    private readonly ClusterFixture _f;

    public GatewayProtocolTests(ClusterFixture fixture) => _f = fixture;

    private async Task<FrameConnection> ConnectClientAsync(int silo = 0, NodeRole role = NodeRole.Client)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(IPAddress.Loopback, _f.Cluster.Silos[silo].GatewayPort);
        return await FrameConnection.ConnectAsync(socket, new Hello(role, "test-client"));
    }

    private static async Task<ClusterViewResponse> ClusterViewAsync(FrameConnection connection)
    {
        using var answer = await connection.RequestAsync((ushort)Opcode.ClusterView, ReadOnlyMemory<byte>.Empty);
        var reader = new PayloadReader(answer.Span);
        return ClusterViewResponse.ReadFrom(ref reader);
    }

    [Fact]
    public async Task A_client_learns_the_cluster_view_from_any_gateway()
    {
        await using var connection = await ConnectClientAsync(silo: 2);
        var view = await ClusterViewAsync(connection);
        Assert.Equal(3, view.Silos.Count);
        Assert.Equal(_f.Cluster.Silos.Select(s => s.GatewayPort).Order(), view.Silos.Select(s => s.GatewayPort).Order());
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0x7F, 1, 2, 3 })]
    [InlineData(new byte[] { 0, 0, 0, 0 })]
    [InlineData(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24 })]
    public async Task Garbage_on_the_gateway_port_closes_that_connection_and_the_silo_keeps_serving(byte[] garbage)
    {
        using (var raw = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await raw.ConnectAsync(IPAddress.Loopback, _f.Cluster.Silos[0].GatewayPort);
            await raw.SendAsync(garbage);
            var buffer = new byte[4096];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            // The silo answers with at most an error frame and closes: reads end with 0 bytes.
            while (await raw.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) > 0) { }
        }
        await using var healthy = await ConnectClientAsync();
        Assert.Equal(3, (await ClusterViewAsync(healthy)).Silos.Count);
    }

    [Fact]
    public async Task A_malformed_payload_fails_that_request_only_with_MalformedFrame()
    {
        await using var connection = await ConnectClientAsync();
        var ex = await Assert.ThrowsAnyAsync<CometException>(async () => await connection.RequestAsync((ushort)Opcode.Put, new byte[] { 0x05, 0x41 }));
        Assert.Equal(CometErrorCode.MalformedFrame, ex.Code);
        Assert.Equal(3, (await ClusterViewAsync(connection)).Silos.Count);
    }

    [Fact]
    public async Task Clients_may_not_use_silo_operations()
    {
        await using var connection = await ConnectClientAsync();
        var ex = await Assert.ThrowsAsync<CometException>(async () => await connection.RequestAsync(100, ReadOnlyMemory<byte>.Empty));
        Assert.Equal(CometErrorCode.Forbidden, ex.Code);
        var unknown = await Assert.ThrowsAsync<CometException>(async () => await connection.RequestAsync(77, ReadOnlyMemory<byte>.Empty));
        Assert.Equal(CometErrorCode.BadRequest, unknown.Code);
    }

    [Fact]
    public async Task A_put_and_get_over_the_binary_protocol_round_trip_through_any_gateway()
    {
        await using var connection = await ConnectClientAsync(silo: 1);
        var put = new PutRequest("default", "binary-key", ObjectKind.Value, "payload"u8.ToArray(), null, null, null, default, null);
        using (var answer = await connection.RequestAsync((ushort)Opcode.Put, put, static (IBufferWriter<byte> b, PutRequest m) =>
        {
            var w = new PayloadWriter(b);
            m.WriteTo(ref w);
        }))
        {
            var reader = new PayloadReader(answer.Span);
            Assert.True(PutResponse.ReadFrom(ref reader).Replicas >= 2);
        }
        var get = new GetRequest("default", "binary-key", null, default, null);
        using var got = await connection.RequestAsync((ushort)Opcode.Get, get, static (IBufferWriter<byte> b, GetRequest m) =>
        {
            var w = new PayloadWriter(b);
            m.WriteTo(ref w);
        });
        var r = new PayloadReader(got.Span);
        var response = GetResponse.ReadFrom(ref r);
        Assert.Equal("payload"u8.ToArray(), response.Items.Single().Data.ToArray());
    }
}
