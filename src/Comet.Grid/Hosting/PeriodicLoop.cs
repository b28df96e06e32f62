namespace Comet.Grid.Hosting;

/// <summary>
/// A background round run every period until disposed (anti-entropy, hint delivery, probes).
/// A failed round is reported to <c>onFailure</c> and the next one retries: these services must
/// outlive a storage or network hiccup.
/// </summary>
public sealed class PeriodicLoop : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _disposed;

    private PeriodicLoop(TimeSpan period, TimeProvider time, Func<CancellationToken, Task> round, Action<Exception> onFailure) =>
        _loop = Task.Run(() => RunAsync(period, time, round, onFailure, _stop.Token));

    public static PeriodicLoop Start(TimeSpan period, TimeProvider time, Func<CancellationToken, Task> round, Action<Exception> onFailure) =>
        new(period, time, round, onFailure);

    private static async Task RunAsync(TimeSpan period, TimeProvider time, Func<CancellationToken, Task> round, Action<Exception> onFailure, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(period, time, ct).ConfigureAwait(false);
                await round(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // the next round retries
            catch (Exception ex)
#pragma warning restore CA1031
            {
                onFailure(ex);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }
}
