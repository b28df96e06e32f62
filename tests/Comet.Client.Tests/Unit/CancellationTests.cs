using System.Net;
using System.Net.Sockets;

namespace Comet.Client.Tests.Unit;

/// <summary>
/// A request ends when its token is cancelled, even when the gateway never answers: a loopback listener that accepts
/// connections and never says a word stands in for a stalled silo, and every timeout is far longer than the test.
/// </summary>
public sealed class CancellationTests : IAsyncLifetime
{
    private readonly TcpListener _stalled = new(IPAddress.Loopback, 0);
    private readonly List<Socket> _accepted = [];
    private readonly CancellationTokenSource _stop = new();
    private Task _accepting = Task.CompletedTask;

    private string Gateway => $"127.0.0.1:{((IPEndPoint)_stalled.LocalEndpoint).Port}";

    public Task InitializeAsync()
    {
        _stalled.Start();
        _accepting = AcceptAsync();
        return Task.CompletedTask;
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _stalled.AcceptSocketAsync(_stop.Token);
                lock (_accepted) _accepted.Add(socket);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private int Accepted
    {
        get
        {
            lock (_accepted) return _accepted.Count;
        }
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _accepting;
        lock (_accepted) _accepted.ForEach(s => s.Dispose());
        _stalled.Stop();
        _stop.Dispose();
    }

    private CometClientOptions Stalled(bool abortOnConnectFail) => new()
    {
        Gateways = [Gateway],
        AbortOnConnectFail = abortOnConnectFail,
        RequestTimeout = TimeSpan.FromHours(1),
        ConnectTimeout = TimeSpan.FromHours(1),
    };

    [Fact]
    public async Task Cancelling_a_request_that_waits_for_a_gateway_that_never_answers_ends_it_and_the_client_stays_usable()
    {
        await using var client = await CometClient.ConnectAsync(Stalled(abortOnConnectFail: false));

        for (var round = 0; round < 2; round++)
        {
            using var cancellation = new CancellationTokenSource();
            var pending = client.GetAsync("key", cancellationToken: cancellation.Token).AsTask();
            while (Accepted < 1) await Task.Delay(10); // the client is in the gateway's handshake
            await Task.Delay(50);
            Assert.False(pending.IsCompleted);

            await cancellation.CancelAsync();

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        }
    }

    [Fact]
    public async Task Cancelling_a_connect_to_a_gateway_that_never_answers_ends_it()
    {
        using var cancellation = new CancellationTokenSource();
        var connecting = CometClient.ConnectAsync(Stalled(abortOnConnectFail: true), cancellation.Token);
        while (Accepted < 1) await Task.Delay(10);
        Assert.False(connecting.IsCompleted);

        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connecting);
    }
}
