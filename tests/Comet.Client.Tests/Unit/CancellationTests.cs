using Comet.Abstractions.Wire;
using Comet.Grid.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Comet.Client.Tests.Unit;

/// <summary>
/// A request in flight ends when its token is cancelled, even when the gateway never answers: a real frame listener
/// whose handler never responds stands in for a stalled silo, and every timeout is far longer than the test.
/// </summary>
public sealed class CancellationTests : IAsyncLifetime
{
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private FrameListener _stalled = null!;
    private int _received;

    public Task InitializeAsync()
    {
        _stalled = new FrameListener(new FrameListenerOptions { StopTimeout = TimeSpan.FromMilliseconds(100) }, new Hello(NodeRole.Silo, "stalled-silo"),
            new DelegateFrameRequestHandler(async request =>
            {
                Interlocked.Increment(ref _received);
                await _release.Task; // never answers while the test runs
            }),
            NullLogger<FrameListener>.Instance);
        _stalled.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _release.TrySetResult();
        await _stalled.DisposeAsync();
    }

    [Fact]
    public async Task Cancelling_a_request_that_the_silo_never_answers_ends_it_and_the_client_stays_usable()
    {
        await using var client = await CometClient.ConnectAsync(new CometClientOptions
        {
            Gateways = [$"127.0.0.1:{_stalled.Port}"],
            AbortOnConnectFail = false,
            RequestTimeout = TimeSpan.FromHours(1),
            ConnectTimeout = TimeSpan.FromHours(1),
            ViewRefreshPeriod = Timeout.InfiniteTimeSpan,
        });

        for (var round = 0; round < 2; round++)
        {
            using var cancellation = new CancellationTokenSource();
            var pending = client.GetAsync("key", cancellationToken: cancellation.Token).AsTask();
            while (Volatile.Read(ref _received) < round + 2) await Task.Delay(10); // the view request and this get arrived
            Assert.False(pending.IsCompleted);

            await cancellation.CancelAsync();

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        }
    }
}
