using System.Threading.Channels;
using Comet.Abstractions.Errors;
using Microsoft.Data.Sqlite;

namespace Comet.Storage.Sqlite;

/// <summary>
/// The one writer of a provider. SQLite lets one connection write at a time, so instead of many
/// callers queueing on its lock, writes queue here; the loop takes whatever is queued (up to
/// <see cref="SqliteStorageOptions.WriteBatchMaxRows"/> rows), runs it in one transaction, and
/// completes each caller with its own outcome after COMMIT. A failed condition fails only its
/// own write (it changed 0 rows; a batch rolls back to its savepoint). If a statement fails
/// outright, the group is rolled back and each write is retried alone, so one bad write cannot
/// fail its neighbours.
/// </summary>
internal sealed class SqliteWriter : IAsyncDisposable
{
    private readonly SqliteConnection connection;
    private readonly SqliteWriteCommands commands;
    private readonly SqliteVersions versions;
    private readonly SqliteStorageOptions options;
    private readonly TimeProvider time;
    private readonly Channel<PendingWrite> queue;
    private readonly List<PendingWrite> group = [];
    private readonly Task loop;
    private readonly CancellationTokenSource stopping = new();
    private readonly Task checkpointTimer;
    private long rowsSinceCheckpoint;

    /// <summary>Transactions committed (for tests that prove writes are grouped).</summary>
    internal long Transactions;

    /// <summary>Rows written in committed transactions.</summary>
    internal long RowsCommitted;

    /// <summary>The writer's connection, for tests that inject SQLite failures.</summary>
    internal SqliteConnection Connection => connection;

    public SqliteWriter(SqliteConnections connections, TimeProvider time)
    {
        options = connections.Options;
        this.time = time;
        connection = connections.Open();
        try
        {
            commands = new SqliteWriteCommands(connection);
            versions = new SqliteVersions(commands);
            versions.ReserveEpoch();
        }
        catch
        {
            commands?.Dispose();
            connection.Dispose();
            throw;
        }
        queue = Channel.CreateBounded<PendingWrite>(new BoundedChannelOptions(options.WriteQueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        loop = Task.Run(RunAsync);
        checkpointTimer = Task.Run(ScheduleCheckpointsAsync);
    }

    /// <summary>Queues <paramref name="write"/> and returns its outcome once committed (or failed).</summary>
    public ValueTask<TResult> EnqueueAsync<TResult>(PendingWrite<TResult> write, CancellationToken ct)
    {
        if (ct.IsCancellationRequested)
            return ValueTask.FromCanceled<TResult>(ct);
        return queue.Writer.TryWrite(write) ? write.Task : EnqueueSlowAsync(write, ct);
    }

    private async ValueTask<TResult> EnqueueSlowAsync<TResult>(PendingWrite<TResult> write, CancellationToken ct)
    {
        try
        {
            await queue.Writer.WriteAsync(write, ct).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(nameof(SqliteStorageProvider), "The SQLite storage provider is disposed; no more writes are accepted.");
        }
        return await write.Task.ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var reader = queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            var rows = 0;
            while (rows < options.WriteBatchMaxRows && reader.TryRead(out var write))
            {
                if (write.Cancellation.IsCancellationRequested)
                {
                    write.Fail(new OperationCanceledException(write.Cancellation));
                }
                else if (write is PendingCheckpoint checkpoint)
                {
                    Flush();
                    RunCheckpoint(checkpoint);
                }
                else
                {
                    group.Add(write);
                    rows += write.RowCount;
                }
            }
            Flush();
        }
    }

    /// <summary>Commits the queued group; each write learns its own outcome.</summary>
    private void Flush()
    {
        if (group.Count == 0)
            return;
        try
        {
            if (TryCommit(group) is not { } failure)
            {
                foreach (var write in group)
                    write.Complete();
            }
            else if (group.Count == 1 || (failure is SqliteException sqlite && SqliteErrors.IsBusy(sqlite)))
            {
                // Another process held the lock past BusyTimeout: retrying each write alone
                // would only multiply the wait.
                var error = SqliteErrors.Map(failure, options);
                foreach (var write in group)
                    write.Fail(error);
            }
            else
            {
                // Something in the group failed outright: find out which by committing each alone.
                foreach (var write in group)
                {
                    if (TryCommit([write]) is { } own)
                        write.Fail(SqliteErrors.Map(own, options));
                    else
                        write.Complete();
                }
            }
        }
        finally
        {
            group.Clear();
        }
    }

    /// <summary>Runs the writes in one transaction; returns null once committed, or the failure after rolling back.</summary>
    private Exception? TryCommit(List<PendingWrite> writes)
    {
        var rows = 0;
        foreach (var write in writes)
            rows += write.RowCount;
        try
        {
            versions.EnsureRoom(rows);
            commands.Begin();
            var context = new SqliteWriteContext(commands, versions, time.GetUtcNow().UtcTicks);
            foreach (var write in writes)
                write.Apply(context);
            commands.Commit();
        }
        catch (Exception ex)
        {
            try
            {
                commands.RollbackIfOpen();
            }
            catch (SqliteException)
            {
                // The original failure is the one to report; SQLite may have ended the transaction itself.
            }
            return ex;
        }
        Interlocked.Increment(ref Transactions);
        Interlocked.Add(ref RowsCommitted, rows);
        rowsSinceCheckpoint += rows;
        return null;
    }

    private void RunCheckpoint(PendingCheckpoint checkpoint)
    {
        try
        {
            checkpoint.Finish(Checkpoint(checkpoint.Scheduled));
        }
        catch (Exception ex)
        {
            checkpoint.Fail(SqliteErrors.Map(ex, options));
        }
    }

    /// <summary>
    /// Copies the WAL into the database and truncates it. A scheduled checkpoint waits only
    /// briefly for readers and other processes' writers: it is retried at the next interval, and
    /// meanwhile <c>wal_autocheckpoint</c> and <c>journal_size_limit</c> keep the WAL bounded.
    /// </summary>
    private SqliteCheckpointResult Checkpoint(bool scheduled)
    {
        var wait = scheduled ? options.CheckpointWaitTimeout : options.BusyTimeout;
        SQLitePCL.raw.sqlite3_busy_timeout(connection.Handle, (int)wait.TotalMilliseconds);
        try
        {
            var result = commands.Checkpoint();
            if (!result.Busy)
                rowsSinceCheckpoint = 0;
            return result;
        }
        finally
        {
            SQLitePCL.raw.sqlite3_busy_timeout(connection.Handle, (int)options.BusyTimeout.TotalMilliseconds);
        }
    }

    /// <summary>Queues a checkpoint behind the writes already queued.</summary>
    public ValueTask<SqliteCheckpointResult> CheckpointAsync(bool scheduled, CancellationToken ct) =>
        EnqueueAsync(new PendingCheckpoint(scheduled, ct), ct);

    private async Task ScheduleCheckpointsAsync()
    {
        using var timer = new PeriodicTimer(options.CheckpointInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping.Token).ConfigureAwait(false))
            {
                if (Volatile.Read(ref rowsSinceCheckpoint) == 0)
                    continue;
                try
                {
                    await CheckpointAsync(scheduled: true, stopping.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is CometException or ObjectDisposedException or OperationCanceledException)
                {
                    // Best effort: the next tick tries again; the WAL stays bounded meanwhile.
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }

    /// <summary>Stops taking writes, commits everything already queued, checkpoints and closes.</summary>
    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync().ConfigureAwait(false);
        await checkpointTimer.ConfigureAwait(false);
        queue.Writer.TryComplete();
        await loop.ConfigureAwait(false);
        try
        {
            Checkpoint(scheduled: false);
        }
        catch (SqliteException)
        {
            // Another process may hold the database; it checkpoints on its own. Our writes are committed.
        }
        commands.Dispose();
        connection.Dispose();
        stopping.Dispose();
    }
}
