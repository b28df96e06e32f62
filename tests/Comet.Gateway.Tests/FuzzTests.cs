using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Comet.Abstractions.Protocol;
using Comet.Gateway.Tests.Support;
using Comet.Grains;

namespace Comet.Gateway.Tests;

/// <summary>Two dev-mode silos (anonymous on loopback: the most open setup) that the fuzz tests may abuse.</summary>
public sealed class FuzzClusterFixture : ClusterFixture
{
    protected override int Silos => 2;
}

[CollectionDefinition(Name)]
public sealed class FuzzCollection : ICollectionFixture<FuzzClusterFixture>
{
    public const string Name = "fuzz";
}

/// <summary>
/// Bounded fuzzing of every port a silo listens on: random, structured and mutated HTTP requests on the REST port,
/// random and mutated bytes on the Orleans silo and gateway ports. No request may get a 5xx other than 503, and
/// afterwards every silo must still serve REST and SDK puts and gets. Seeds are fixed so a failure replays.
/// </summary>
[Collection(FuzzCollection.Name)]
public sealed class FuzzTests(FuzzClusterFixture fixture)
{
    private static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(5);

    private static byte[] RandomBytes(Random random, int max)
    {
        var bytes = new byte[random.Next(max + 1)];
        random.NextBytes(bytes);
        return bytes;
    }

    private static byte[] Mutate(Random random, byte[] valid)
    {
        var bytes = (byte[])valid.Clone();
        switch (random.Next(5))
        {
            case 0: // flip a few bytes
                for (var i = random.Next(1, 5); i > 0 && bytes.Length > 0; i--) bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                return bytes;
            case 1: // truncate
                return bytes[..random.Next(bytes.Length + 1)];
            case 2: // append junk
                return [.. bytes, .. RandomBytes(random, 64)];
            case 3: // insert junk in the middle
                var at = random.Next(bytes.Length + 1);
                return [.. bytes[..at], .. RandomBytes(random, 16), .. bytes[at..]];
            default: // a huge or negative length field where a length might be
                if (bytes.Length >= 4) BitConverter.GetBytes(random.Next(2) == 0 ? int.MaxValue - random.Next(16) : -random.Next(1, 1000)).CopyTo(bytes, 0);
                return bytes;
        }
    }

    /// <summary>Sends raw bytes, half-closes, and reads the answer (up to 64 KiB) until the silo closes or the case times out.</summary>
    private static async Task<byte[]> SendRawAsync(int port, byte[] bytes, bool halfClose = true)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = new CancellationTokenSource(CaseTimeout);
        var received = new MemoryStream();
        try
        {
            await socket.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
            if (bytes.Length > 0) await socket.SendAsync(bytes, SocketFlags.None, timeout.Token);
            // Kestrel takes a half-close as the client going away and aborts the request: a complete request waits for its answer.
            if (halfClose) socket.Shutdown(SocketShutdown.Send);
            var buffer = new byte[4096];
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0 && received.Length < 64 * 1024) received.Write(buffer, 0, n);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            // A reset or a timeout is an answer too; what matters is what the silo does afterwards.
        }
        return received.ToArray();
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
        for (var i = 0; i < fixture.Cluster.Silos.Count; i++)
        {
            var key = ClusterFixture.NewKey("after-fuzz");
            using var put = await fixture.HttpOf(i).PutAsync("default", key, "alive");
            await RestCalls.ExpectAsync(put, HttpStatusCode.Created);
            Assert.Equal("alive", await fixture.HttpOf(1 - i).ReadAsync("default", key));
            await using var client = await OrleansClient.ConnectAsync(fixture.Cluster.Silos[i]);
            await client.Coordinator.PutAsync(new PutCommand("default", key + "-sdk", ObjectKind.Value, Encoding.UTF8.GetBytes("alive"), null, null, null, default, null));
            var got = await client.Coordinator.GetAsync(new GetCommand("default", key + "-sdk", null, default, null));
            Assert.Equal("alive", Encoding.UTF8.GetString(Assert.Single(got.Items).Data.Span));
        }
    }

    private static string FirstLine(byte[] request) => Encoding.ASCII.GetString(request, 0, Math.Min(120, request.Length)).Split('\r')[0];

    /// <summary>The start of an HTTP answer's body, for failure messages.</summary>
    private static string BodyOf(byte[] answer)
    {
        var text = Encoding.UTF8.GetString(answer);
        var start = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var body = start < 0 ? text : text[(start + 4)..];
        return body.Length > 300 ? body[..300] : body;
    }

    /// <summary>Whether the request line ends in a version Kestrel speaks (HTTP/1.0 or HTTP/1.1).</summary>
    private static bool SpeaksHttp11(byte[] request)
    {
        var end = request.AsSpan().IndexOf("\r\n"u8);
        var line = end < 0 ? request.AsSpan() : request.AsSpan(0, end);
        return line.EndsWith(" HTTP/1.1"u8) || line.EndsWith(" HTTP/1.0"u8);
    }

    /// <summary>A well-formed request of the contract, as bytes: the seed the mutations start from.</summary>
    private static byte[] ValidRequest(Random random)
    {
        var key = "fuzz-" + random.Next(50);
        var (method, contentType, body) = random.Next(4) switch
        {
            0 => ("PUT", "text/plain", Encoding.UTF8.GetBytes("value " + random.Next())),
            1 => ("PUT", "application/x-lua", Encoding.UTF8.GetBytes("aso.value = " + random.Next() + "\nfunction aso:onGet(caller) return {self.value, caller.args} end")),
            2 => ("GET", "", []),
            _ => ("DELETE", "", []),
        };
        var query = random.Next(2) == 0 ? "?n=3&r=2&w=2&ttl=60&args=%7B%22a%22%3A1%7D" : "";
        var head = $"{method} /v1/default/keys/{key}{(random.Next(3) == 0 ? "/history" : "")}{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
            (contentType.Length > 0 ? $"Content-Type: {contentType}\r\n" : "") +
            $"Content-Length: {body.Length}\r\nConnection: close\r\n\r\n";
        return [.. Encoding.ASCII.GetBytes(head), .. body];
    }

    private static (byte[] Bytes, string Summary) StructuredRequest(Random random)
    {
        string[] methods = ["GET", "PUT", "DELETE", "POST", "PATCH", "HEAD", "OPTIONS", "TRACE", "G\u00e9T", "PUT PUT", ""];
        string[] segments = ["v1", "default", "keys", "history", "%FF", "%C3%28", "%2F", "%", "%G1", "..", ".", "\u00e9", "k", new string('a', 3000),
            "admin", "nosuch", "alpha", "%00", "A B", "%2e%2e", "%25"];
        string[] contentTypes = ["text/plain", "application/x-lua", "application/x-lua; charset=utf-8", "application/json", "\u0001", "", "application/x-lua;;;"];
        var path = new StringBuilder();
        if (random.Next(3) > 0) path.Append("/v1/default/keys");
        for (var s = random.Next(0, 4); s > 0; s--) path.Append('/').Append(segments[random.Next(segments.Length)]);
        if (path.Length == 0) path.Append('/');
        if (random.Next(4) == 0)
        {
            path.Append("?ttl=").Append(random.Next(-5, 5) == 0 ? "x" : random.NextInt64(-10, long.MaxValue).ToString(CultureInfo.InvariantCulture))
                .Append("&n=").Append(random.Next(-2, 40)).Append("&r=").Append(random.Next(-2, 40))
                .Append(random.Next(2) == 0 ? "&args=%7B%22a%22" : "&args=%7B%22a%22%3A%5B%5B%5B%5B%5B%5B%5B%5B%5B%5B%5B%5B%5B%5B%5B%5B%5B%5B%5B%5B%5B%5B%5B%5B%5B%5B%5B%5B%5B%5B%5B%5B%5B%5B%5B1")
                .Append(random.Next(2) == 0 ? "&version=" + Convert.ToBase64String(RandomBytes(random, 20)) : "")
                .Append(random.Next(2) == 0 ? "&context=" + Uri.EscapeDataString(Convert.ToBase64String(RandomBytes(random, 40))) : "");
        }
        var contentType = contentTypes[random.Next(contentTypes.Length)];
        byte[] body = random.Next(3) == 0 ? [] : contentType.StartsWith("application/x-lua", StringComparison.Ordinal) && random.Next(2) == 0
            ? Encoding.UTF8.GetBytes(RandomLua(random))
            : RandomBytes(random, random.Next(10) == 0 ? 1_200_000 : 2048);
        var method = methods[random.Next(methods.Length)];
        var head = new StringBuilder();
        head.Append(method).Append(' ').Append(path).Append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        head.Append("Content-Type: ").Append(contentType).Append("\r\n");
        if (random.Next(3) == 0) head.Append("Authorization: Bearer ck_").Append(random.NextInt64().ToString("x16", CultureInfo.InvariantCulture)).Append("_x\r\n");
        if (random.Next(6) == 0) head.Append("X-Comet-Key: ").Append(Convert.ToBase64String(RandomBytes(random, 300))).Append("\r\n");
        if (random.Next(4) == 0) head.Append("X-Comet-Context: ").Append(Convert.ToBase64String(RandomBytes(random, 40))).Append("\r\n");
        var declared = random.Next(6) switch { 0 => body.Length + random.Next(1, 100), 1 => Math.Max(0, body.Length - 1), _ => body.Length };
        if (random.Next(8) == 0) head.Append("Transfer-Encoding: chunked\r\n");
        else head.Append("Content-Length: ").Append(declared).Append("\r\n");
        head.Append("Connection: close\r\n\r\n");
        var summary = $"{method} {(path.Length > 200 ? path.ToString(0, 200) + "..." : path)} ({body.Length} bytes)";
        return ([.. Encoding.UTF8.GetBytes(head.ToString()), .. body], summary);
    }

    /// <summary>Lua-looking text: fragments of real handlers glued at random, so the sandbox sees code that almost compiles.</summary>
    private static string RandomLua(Random random)
    {
        string[] pieces = ["function aso:onGet(caller) ", "return ", "end ", "aso.value = ", "{", "}", "(", ")", "1", "'x'", "nil + 1 ",
            "while true do ", "for i = 1, 1e9 do ", "local t = {} ", "t[#t+1] = string.rep('x', 1e6) ", "comet.get('k') ", "os.exit() ",
            "error('boom') ", "function aso:onPut(caller) ", "return false ", "self.v = caller.args ", "\u001bLua", "--[[", "]]", "\0"];
        var code = new StringBuilder();
        for (var i = random.Next(1, 20); i > 0; i--) code.Append(pieces[random.Next(pieces.Length)]);
        return code.ToString();
    }

    [Fact]
    public async Task Thousands_of_random_structured_and_mutated_http_requests_never_get_a_5xx_and_every_silo_keeps_serving()
    {
        var random = new Random(6003);
        var requests = new List<(int Port, byte[] Bytes, string Summary, bool Complete)>();
        for (var i = 0; i < 2500; i++)
        {
            var port = fixture.Cluster.Http(i % fixture.Cluster.Silos.Count).Port;
            switch (random.Next(9))
            {
                case 0:
                    requests.Add((port, RandomBytes(random, 512), "random bytes", false));
                    break;
                case 1:
                    // Valid requests among the garbage: the gateway keeps serving while it is fuzzed.
                    var valid = ValidRequest(random);
                    requests.Add((port, valid, "valid: " + FirstLine(valid), true));
                    break;
                case 2:
                case 3:
                case 4:
                    var mutated = Mutate(random, ValidRequest(random));
                    requests.Add((port, mutated, "mutated: " + FirstLine(mutated), false));
                    break;
                default:
                    var (bytes, summary) = StructuredRequest(random);
                    requests.Add((port, bytes, summary, false));
                    break;
            }
        }
        var statuses = new ConcurrentDictionary<int, int>();
        var failures = new ConcurrentQueue<string>();
        await ForEachAsync(requests.Count, 16, async i =>
        {
            var (port, bytes, summary, complete) = requests[i];
            var answer = await SendRawAsync(port, bytes, halfClose: !complete);
            if (complete && answer.Length == 0) failures.Enqueue("no answer to " + summary);
            var text = Encoding.ASCII.GetString(answer, 0, Math.Min(answer.Length, 64));
            if (text.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) && int.TryParse(text.AsSpan(9, 3), out var status))
            {
                statuses.AddOrUpdate(status, 1, (_, c) => c + 1);
                // 505 is Kestrel's answer to a request line whose HTTP version it does not speak: the request never
                // reaches the gateway. It is fine only for such a request line.
                if (status == 505 && !SpeaksHttp11(bytes)) return;
                if (status >= 500 && status != 503)
                {
                    failures.Enqueue($"{status} for {summary}: {BodyOf(answer)}");
                }
            }
        });
        Assert.True(failures.IsEmpty, $"{failures.Count} answers were 5xx:\n" + string.Join("\n", failures.Take(20)));
        Assert.True(statuses.Keys.Any(s => s is >= 400 and < 500), "no 4xx at all: the fuzzer is not reaching the gateway");
        Assert.True(statuses.Keys.Any(s => s is >= 200 and < 300), "no 2xx at all: the valid requests were not served");
        await AssertClusterServesAsync();
    }

    [Fact]
    public async Task Random_and_mutated_bytes_on_the_orleans_silo_and_gateway_ports_never_take_a_silo_down()
    {
        var random = new Random(6001);
        // The start of a real connection: what a client sends first is enough for mutations to be near-misses.
        var preamble = await CaptureClientPreambleAsync();
        var cases = new List<(int Port, byte[] Bytes)>();
        for (var i = 0; i < 600; i++)
        {
            var silo = fixture.Cluster.Silos[i % fixture.Cluster.Silos.Count];
            var port = i % 3 == 2 ? silo.Settings.SiloPort : silo.Settings.GatewayPort;
            byte[] bytes = random.Next(3) switch
            {
                0 => RandomBytes(random, 512),
                1 when preamble.Length > 0 => Mutate(random, preamble),
                _ => [.. preamble, .. RandomBytes(random, 256)],
            };
            cases.Add((port, bytes));
        }
        await ForEachAsync(cases.Count, 16, async i => await SendRawAsync(cases[i].Port, cases[i].Bytes));
        await AssertClusterServesAsync();
    }

    /// <summary>The first bytes a real Orleans client sends to a gateway, caught by a listener posing as one.</summary>
    private async Task<byte[]> CaptureClientPreambleAsync()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var accept = Task.Run(async () =>
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            using var socket = await listener.AcceptSocketAsync(timeout.Token);
            var buffer = new byte[4096];
            var received = new MemoryStream();
            try
            {
                while (received.Length < 256)
                {
                    using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                    var n = await socket.ReceiveAsync(buffer, SocketFlags.None, wait.Token);
                    if (n == 0) break;
                    received.Write(buffer, 0, n);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException)
            {
            }
            return received.ToArray();
        });
        var silo = fixture.Cluster.Silos[0].Settings;
        await using var client = OrleansClient.Create(new IPEndPoint(IPAddress.Loopback, port), silo.ClusterId, silo.ServiceId);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await client.StartAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The listener never answers like a gateway; only what the client sent matters.
        }
        return await accept;
    }
}
