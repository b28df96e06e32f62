using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Protocol;
using Comet.Abstractions.Wire;
using Comet.Client;
using Comet.Grid.Hosting;

namespace Comet.Security.Tests;

/// <summary>A plain dev cluster for the fuzz tests (anonymous on loopback, no cluster secret: the most open setup).</summary>
public sealed class FuzzClusterFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;

    public ConcurrentQueue<Exception> Unobserved { get; } = new();

    public async Task InitializeAsync()
    {
        TaskScheduler.UnobservedTaskException += OnUnobserved;
        Cluster = await TestCluster.StartAsync(new TestClusterOptions { InitialSilosCount = 3 });
    }

    public async Task DisposeAsync()
    {
        TaskScheduler.UnobservedTaskException -= OnUnobserved;
        await Cluster.DisposeAsync();
    }

    private void OnUnobserved(object? sender, UnobservedTaskExceptionEventArgs e) => Unobserved.Enqueue(e.Exception);
}

/// <summary>
/// Bounded fuzzing of every port a silo listens on: random bytes, mutated valid frames, random request payloads
/// under every opcode, and random HTTP requests. Afterwards every silo must still serve a normal put and get,
/// and no task may have failed unobserved. Seeds are fixed so a failure replays.
/// </summary>
public class FuzzTests : IClassFixture<FuzzClusterFixture>
{
    private static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(5);
    private readonly FuzzClusterFixture _f;

    public FuzzTests(FuzzClusterFixture fixture) => _f = fixture;

    private static byte[] Frame(FrameKind kind, ushort opcode, ulong id, ReadOnlySpan<byte> payload)
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameCodec.WriteFrame(writer, new FrameHeader(kind, opcode, id, payload.Length), payload);
        return writer.WrittenSpan.ToArray();
    }

    private static byte[] HelloFrame(NodeRole role)
    {
        var payload = new ArrayBufferWriter<byte>();
        new Hello(role, "fuzzer").WritePayload(payload);
        return Frame(FrameKind.Hello, 0, 0, payload.WrittenSpan);
    }

    private static byte[] ValidPutPayload(Random random)
    {
        var writer = new ArrayBufferWriter<byte>();
        var w = new PayloadWriter(writer);
        new PutRequest("default", "fuzz-" + random.Next(100), ObjectKind.Value, RandomBytes(random, 32), null, null, null, default, null).WriteTo(ref w);
        return writer.WrittenSpan.ToArray();
    }

    private static byte[] RandomBytes(Random random, int max)
    {
        var bytes = new byte[random.Next(max + 1)];
        random.NextBytes(bytes);
        return bytes;
    }

    private static byte[] Mutate(Random random, byte[] valid)
    {
        var bytes = (byte[])valid.Clone();
        switch (random.Next(4))
        {
            case 0: // flip a few bytes
                for (var i = random.Next(1, 5); i > 0 && bytes.Length > 0; i--) bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                return bytes;
            case 1: // truncate
                return bytes[..random.Next(bytes.Length + 1)];
            case 2: // append junk
                return [.. bytes, .. RandomBytes(random, 64)];
            default: // a huge or negative length field
                if (bytes.Length >= 4) BitConverter.GetBytes(random.Next(2) == 0 ? int.MaxValue - random.Next(16) : -random.Next(1, 1000)).CopyTo(bytes, 0);
                return bytes;
        }
    }

    /// <summary>Sends raw bytes, half-closes, and reads until the silo closes (or the case times out).</summary>
    private static async Task SendRawAsync(int port, byte[] bytes)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = new CancellationTokenSource(CaseTimeout);
        try
        {
            await socket.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
            if (bytes.Length > 0) await socket.SendAsync(bytes, SocketFlags.None, timeout.Token);
            socket.Shutdown(SocketShutdown.Send);
            var buffer = new byte[4096];
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) > 0) { }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            // A reset or a timeout is an answer too; what matters is what the silo does afterwards.
        }
    }

    private static async Task ForEachAsync(int cases, int parallel, Func<int, Task> run)
    {
        var next = -1;
        var workers = new Task[parallel];
        for (var w = 0; w < parallel; w++)
        {
            workers[w] = Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < cases) await run(i);
            });
        }
        await Task.WhenAll(workers);
    }

    private async Task AssertClusterServesAsync()
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };
        foreach (var silo in _f.Cluster.Silos)
        {
            var key = "after-fuzz-" + Guid.NewGuid().ToString("N");
            using var put = await http.PutAsync($"{silo.HttpAddress}/v1/default/keys/{key}", new StringContent("alive"));
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
            Assert.Equal("alive", await http.GetStringAsync($"{silo.HttpAddress}/v1/default/keys/{key}"));
            await using var client = await CometClient.ConnectAsync(new CometClientOptions { Gateways = [$"127.0.0.1:{silo.GatewayPort}"] });
            await client.PutAsync(key + "-bin", "alive");
            Assert.Equal("alive", (await client.GetAsync(key + "-bin")).AsString());
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.True(_f.Unobserved.IsEmpty, "unobserved task exceptions: " + string.Join(" | ", _f.Unobserved));
    }

    [Fact]
    public async Task Random_and_mutated_bytes_on_the_gateway_and_silo_ports_never_take_a_silo_down()
    {
        var random = new Random(6001);
        var clientHello = HelloFrame(NodeRole.Client);
        var siloHello = HelloFrame(NodeRole.Silo);
        var cases = new List<(int Port, byte[] Bytes)>();
        for (var i = 0; i < 1200; i++)
        {
            var silo = _f.Cluster.Silos[i % 3];
            var port = i % 4 == 3 ? silo.SiloPort : silo.GatewayPort;
            var hello = port == silo.SiloPort ? siloHello : clientHello;
            byte[] bytes = random.Next(5) switch
            {
                0 => RandomBytes(random, 256),
                1 => Mutate(random, hello),
                2 => [.. hello, .. Mutate(random, Frame(FrameKind.Request, (ushort)Opcode.Put, 1, ValidPutPayload(random)))],
                3 => [.. hello, .. Frame((FrameKind)random.Next(256), (ushort)random.Next(65536), (ulong)random.NextInt64(), RandomBytes(random, 128))],
                _ => [.. hello, .. Frame(FrameKind.Request, (ushort)random.Next(120), 7, Mutate(random, ValidPutPayload(random)))],
            };
            cases.Add((port, bytes));
        }
        await ForEachAsync(cases.Count, 16, i => SendRawAsync(cases[i].Port, cases[i].Bytes));
        await AssertClusterServesAsync();
    }

    [Fact]
    public async Task Random_payloads_under_every_opcode_fail_only_their_own_request()
    {
        var random = new Random(6002);
        var payloads = new List<(bool ToSiloPort, ushort Opcode, byte[] Payload)>();
        for (var i = 0; i < 2400; i++)
        {
            var toSiloPort = i % 3 == 2;
            var opcode = (ushort)(random.Next(10) == 0 ? random.Next(65536) : toSiloPort ? random.Next(1, 111) : random.Next(1, 6));
            var payload = random.Next(2) == 0 ? RandomBytes(random, 200) : Mutate(random, ValidPutPayload(random));
            payloads.Add((toSiloPort, opcode, payload));
        }
        var connections = new ConcurrentDictionary<(int, bool), Task<FrameConnection>>();
        async Task<FrameConnection> ConnectAsync(int silo, bool toSiloPort)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            var s = _f.Cluster.Silos[silo];
            await socket.ConnectAsync(IPAddress.Loopback, toSiloPort ? s.SiloPort : s.GatewayPort);
            return await FrameConnection.ConnectAsync(socket, new Hello(toSiloPort ? NodeRole.Silo : NodeRole.Client, "fuzzer"),
                new FrameConnectionOptions { RequestTimeout = CaseTimeout });
        }
        var (answered, failed) = (0, 0);
        await ForEachAsync(payloads.Count, 32, async i =>
        {
            var (toSiloPort, opcode, payload) = payloads[i];
            var slot = (i % 3, toSiloPort);
            var connection = await connections.GetOrAdd(slot, s => ConnectAsync(s.Item1, s.Item2));
            if (connection.IsClosed)
            {
                connections[slot] = ConnectAsync(slot.Item1, toSiloPort);
                connection = await connections[slot];
            }
            try
            {
                using var answer = await connection.RequestAsync(opcode, payload);
                Interlocked.Increment(ref answered);
            }
            catch (CometException ex)
            {
                Assert.NotEqual(CometErrorCode.Timeout, ex.Code);
                Interlocked.Increment(ref failed);
            }
        });
        foreach (var connection in connections.Values) await (await connection).DisposeAsync();
        Assert.Equal(payloads.Count, answered + failed);
        await AssertClusterServesAsync();
    }

    [Fact]
    public async Task Random_http_requests_never_crash_a_silo_or_answer_500()
    {
        var random = new Random(6003);
        var methods = new[] { "GET", "PUT", "DELETE", "POST", "PATCH", "HEAD", "OPTIONS", "TRACE", "G\u00e9T", "PUT PUT", "" };
        var segments = new[] { "v1", "default", "keys", "history", "%FF", "%C3%28", "%2F", "%", "%G1", "..", ".", "\u00e9", "k", new string('a', 3000), "admin", "nosuch", "%00", "A B" };
        var contentTypes = new[] { "text/plain", "application/x-lua", "application/x-lua; charset=utf-8", "application/json", "\u0001", "" };
        var statuses = new ConcurrentDictionary<int, int>();
        var fiveHundreds = new ConcurrentQueue<string>();
        var requests = new List<(int Port, byte[] Bytes, string Summary)>();
        for (var i = 0; i < 1500; i++)
        {
            var silo = _f.Cluster.Silos[i % 3];
            byte[] bytes;
            string summary;
            if (random.Next(8) == 0)
            {
                bytes = RandomBytes(random, 512);
                summary = "random bytes";
            }
            else
            {
                var path = new StringBuilder();
                if (random.Next(3) > 0) path.Append("/v1/default/keys");
                for (var s = random.Next(0, 4); s > 0; s--) path.Append('/').Append(segments[random.Next(segments.Length)]);
                if (path.Length == 0) path.Append('/');
                if (random.Next(4) == 0) path.Append("?ttl=").Append(random.Next(-5, 5) == 0 ? "x" : random.NextInt64(-10, long.MaxValue).ToString(System.Globalization.CultureInfo.InvariantCulture)).Append("&n=").Append(random.Next(-2, 40)).Append("&args=%7B%22a%22");
                var body = random.Next(3) == 0 ? [] : RandomBytes(random, random.Next(10) == 0 ? 1_200_000 : 2048);
                var method = methods[random.Next(methods.Length)];
                var head = new StringBuilder();
                head.Append(method).Append(' ').Append(path).Append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
                head.Append("Content-Type: ").Append(contentTypes[random.Next(contentTypes.Length)]).Append("\r\n");
                if (random.Next(3) == 0) head.Append("Authorization: Bearer ck_").Append(random.NextInt64().ToString("x16", System.Globalization.CultureInfo.InvariantCulture)).Append("_x\r\n");
                if (random.Next(4) == 0) head.Append("X-Comet-Context: ").Append(Convert.ToBase64String(RandomBytes(random, 40))).Append("\r\n");
                var declared = random.Next(6) switch { 0 => body.Length + random.Next(1, 100), 1 => Math.Max(0, body.Length - 1), _ => body.Length };
                if (random.Next(8) == 0) head.Append("Transfer-Encoding: chunked\r\n");
                else head.Append("Content-Length: ").Append(declared).Append("\r\n");
                head.Append("Connection: close\r\n\r\n");
                bytes = [.. Encoding.UTF8.GetBytes(head.ToString()), .. body];
                summary = $"{method} {(path.Length > 200 ? path.ToString(0, 200) + "..." : path)} ({body.Length} bytes)";
            }
            requests.Add((silo.HttpPort, bytes, summary));
        }
        await ForEachAsync(requests.Count, 16, async i =>
        {
            var (port, bytes, summary) = requests[i];
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            using var timeout = new CancellationTokenSource(CaseTimeout);
            var received = new MemoryStream();
            try
            {
                await socket.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
                await socket.SendAsync(bytes, SocketFlags.None, timeout.Token);
                socket.Shutdown(SocketShutdown.Send);
                var buffer = new byte[4096];
                int n;
                while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0 && received.Length < 64 * 1024) received.Write(buffer, 0, n);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
            }
            var text = Encoding.ASCII.GetString(received.GetBuffer(), 0, (int)Math.Min(received.Length, 64));
            if (text.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) && int.TryParse(text.AsSpan(9, 3), out var status))
            {
                statuses.AddOrUpdate(status, 1, (_, c) => c + 1);
                if (status >= 500 && status != 503) fiveHundreds.Enqueue($"{status} for {summary}");
            }
        });
        Assert.True(fiveHundreds.IsEmpty, string.Join("\n", fiveHundreds.Take(20)));
        Assert.True(statuses.Keys.Any(s => s is >= 400 and < 500), "no 4xx at all: the fuzzer is not reaching the gateway");
        await AssertClusterServesAsync();
    }
}
