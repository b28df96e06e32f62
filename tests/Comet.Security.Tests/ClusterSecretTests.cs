using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Wire;
using Comet.Grid.Hosting;
using Comet.Grid.Replication;
using Comet.Grid.Security;
using Comet.Storage;

namespace Comet.Security.Tests;

/// <summary>A cluster secret: silos prove it in their Hello; peers that cannot are refused on both ports.</summary>
public sealed class ClusterSecretTests : IAsyncLifetime
{
    private const string Secret = "the-cluster-secret-for-tests";
    private TestCluster _cluster = null!;
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };

    public async Task InitializeAsync() => _cluster = await TestCluster.StartAsync(new TestClusterOptions
    {
        InitialSilosCount = 3,
        ConfigureSilo = o => o.Security.ClusterSecret = Secret,
    });

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _cluster.DisposeAsync();
    }

    private static async Task<FrameConnection> DialAsync(int port, Hello hello)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port);
        return await FrameConnection.ConnectAsync(socket, hello, new FrameConnectionOptions { HandshakeTimeout = TimeSpan.FromSeconds(10) });
    }

    private static ClusterProof Prover(string secret) => new(secret, TimeSpan.FromMinutes(5), TimeProvider.System);

    [Fact]
    public async Task Silos_sharing_the_secret_replicate_to_each_other()
    {
        using var put = await _http.PutAsync($"{_cluster.Silos[1].HttpAddress}/v1/default/keys/replicated", new StringContent("v"));
        var body = await put.Content.ReadAsStringAsync();
        Assert.True(put.IsSuccessStatusCode, body);
        using var json = JsonDocument.Parse(body);
        // W = 2: the coordinator and at least one other silo, reached over a proven connection.
        Assert.True(json.RootElement.GetProperty("replicas").GetInt32() >= 2, body);
    }

    [Fact]
    public async Task A_silo_hello_without_a_valid_proof_is_refused_on_the_silo_port()
    {
        var port = _cluster.Silos[0].SiloPort;
        var noProof = await Assert.ThrowsAsync<CometException>(() => DialAsync(port, new Hello(NodeRole.Silo, "impostor")));
        Assert.Equal(CometErrorCode.Unauthorized, noProof.Code);
        var wrongSecret = await Assert.ThrowsAsync<CometException>(() => DialAsync(port, Prover("another-secret").CreateHello("impostor", ClusterProof.PurposeDial)));
        Assert.Equal(CometErrorCode.Unauthorized, wrongSecret.Code);
        // An acceptor's proof (the answer a silo sends) does not open the door as a dialler's.
        var wrongPurpose = await Assert.ThrowsAsync<CometException>(() => DialAsync(port, Prover(Secret).CreateHello("impostor", ClusterProof.PurposeAccept)));
        Assert.Equal(CometErrorCode.Unauthorized, wrongPurpose.Code);
    }

    [Fact]
    public async Task A_valid_proof_is_accepted_once_and_a_replay_is_refused()
    {
        var hello = Prover(Secret).CreateHello("replayer", ClusterProof.PurposeDial);
        await using (var first = await DialAsync(_cluster.Silos[2].SiloPort, hello))
        {
            await first.PingAsync();
        }
        var replay = await Assert.ThrowsAsync<CometException>(() => DialAsync(_cluster.Silos[2].SiloPort, hello));
        Assert.Equal(CometErrorCode.Unauthorized, replay.Code);
    }

    [Fact]
    public async Task A_client_hello_on_the_silo_port_is_refused_as_Forbidden()
    {
        var error = await Assert.ThrowsAsync<CometException>(() => DialAsync(_cluster.Silos[0].SiloPort, new Hello(NodeRole.Client, "lost-client")));
        Assert.Equal(CometErrorCode.Forbidden, error.Code);
    }

    [Fact]
    public async Task A_silo_hello_without_a_proof_on_the_gateway_port_is_refused()
    {
        var error = await Assert.ThrowsAsync<CometException>(() => DialAsync(_cluster.Silos[0].GatewayPort, new Hello(NodeRole.Silo, "fake-silo")));
        Assert.Equal(CometErrorCode.Unauthorized, error.Code);
        // Clients still connect to the gateway as usual.
        await using var client = await DialAsync(_cluster.Silos[0].GatewayPort, new Hello(NodeRole.Client, "client"));
        await client.PingAsync();
    }

    [Fact]
    public async Task A_silo_without_the_secret_cannot_connect_to_the_cluster_and_holds_no_replicas()
    {
        var rogueOptions = new SiloOptions
        {
            SiloId = "rogue",
            Host = "127.0.0.1",
            SiloPort = 0,
            GatewayPort = 0,
            HttpPort = -1,
            Partitions = 256,
            IAmAlivePeriod = TimeSpan.FromMilliseconds(250),
            MembershipRefreshPeriod = TimeSpan.FromMilliseconds(250),
            IAmAliveTimeout = TimeSpan.FromSeconds(3),
        };
        rogueOptions.Security.ClusterSecret = "not-the-cluster-secret";
        // The worst case: it even shares the cluster's storage, so it appears in the membership table.
        await using var rogue = new Silo(rogueOptions, _cluster.Storage);
        await rogue.StartAsync();
        await SecureClusterFixture.EventuallyAsync(() => Task.FromResult(_cluster.Primary.View.Find("rogue") is not null), "the rogue's row is read");

        // Its own dials are refused by every silo.
        foreach (var silo in _cluster.Silos)
        {
            var error = await Assert.ThrowsAsync<CometException>(() =>
                DialAsync(silo.SiloPort, Prover("not-the-cluster-secret").CreateHello("rogue", ClusterProof.PurposeDial)));
            Assert.Equal(CometErrorCode.Unauthorized, error.Code);
        }

        // Writes through the real silos go on, and none of them reaches the rogue.
        for (var i = 0; i < 20; i++)
        {
            using var put = await _http.PutAsync($"{_cluster.Silos[i % 3].HttpAddress}/v1/default/keys/rogue-test-{i}", new StringContent("v" + i));
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        }
        var table = await _cluster.Storage.OpenTableAsync(ReplicaStore.TableName);
        await foreach (var row in table.QueryAllAsync(RowQuery.All))
        {
            Assert.False(row.PartitionKey.StartsWith("rogue", StringComparison.Ordinal) && row.RowKey.Contains("rogue-test-", StringComparison.Ordinal),
                $"the rogue silo stored a replica: {row.PartitionKey} {row.RowKey}");
        }
        Assert.Equal(0, rogue.Catalog.ActivationCount);
        await rogue.KillAsync();
    }
}
