using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace Comet.Persistence.Sqlite;

/// <summary>
/// The one writer of a database file in this process (group commit). SQLite lets one connection
/// write at a time, so instead of many callers queueing on its lock, writes queue here; the loop
/// takes whatever is queued (up to <see cref="SqliteGrainStorageOptions.WriteBatchMaxRows"/> rows),
/// runs it in one <c>BEGIN IMMEDIATE</c> transaction, and completes each caller with its own outcome
/// after COMMIT. A stale ETag fails only its own write (its statement changed 0 rows). If a statement
/// fails outright, the group is rolled back and each write retried alone, so one bad write cannot
/// fail its neighbours.
/// </summary>
internal sealed class GrainStateWriter : IAsyncDisposable
{
    private readonly SqliteGrainStorageOptions options;
    private readonly string owner;
    private readonly SqliteConnection connection;
    private readonly GrainStateWriteCommands commands;
    private readonly RowVersions versions;
    private readonly TimeProvider time;
    private readonly Channel<PendingStateWrite> queue;
    private readonly List<PendingStateWrite> group = [];
    private readonly Task loop;
    private readonly CancellationTokenSource stopping = new();
    private readonly Task checkpoints;
    private PendingStateWrite? carried;
    private long rowsSinceCheckpoint;

    /// <summary>Transactions committed (tests use it to prove writes are grouped).</summary>
    internal long Transactions;

    /// <summary>Rows written in committed transactions.</summary>
    internal long RowsCommitted;

    /// <summary>Opens the writer connection, creates the table and reserves a version epoch.</summary>
    public GrainStateWriter(SqliteGrainStorageOptions options, string owner, TimeProvider time)
    {
        this.options = options;
        this.owner = owner;
        this.time = time;
        connection = SqliteDatabase.Open(options, owner);
        try
        {
            SqliteSchema.Ensure(connection, SqliteSchema.GrainState);
            commands = new GrainStateWriteCommands(connection);
            versions = new RowVersions(commands);
            versions.EnsureRoom(1);
        }
        catch (Exception ex)
        {
            commands?.Dispose();
            connection.Dispose();
            throw SqliteErrors.Map(ex, options, owner);
        }
        queue = Channel.CreateBounded<PendingStateWrite>(new BoundedChannelOptions(options.WriteQueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        loop = Task.Run(RunAsync);
        checkpoints = Task.Run(ScheduleCheckpointsAsync);
    }

    /// <summary>Queues <paramref name="write"/> and returns its outcome once committed (or failed).</summary>
    public ValueTask<StateWriteOutcome> EnqueueAsync(PendingStateWrite write) =>
        queue.Writer.TryWrite(write) ? write.Task : EnqueueSlowAsync(write);

    private async ValueTask<StateWriteOutcome> EnqueueSlowAsync(PendingStateWrite write)
    {
        try
        {
            await queue.Writer.WriteAsync(write).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(nameof(GrainStateWriter), $"The SQLite writer of {owner} is stopped; no more writes are accepted.");
        }
        return await write.Task.ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var reader = queue.Reader;
        while (carried is not null || await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            var bytes = 0;
            if (carried is not null)
            {
                group.Add(carried);
                bytes = carried.Bytes;
                carried = null;
            }
            while (group.Count < options.WriteBatchMaxRows && reader.TryRead(out var write))
            {
                if (group.Count > 0 && bytes + write.Bytes > options.WriteBatchMaxBytes)
                {
                    // Too big to join this group: it starts the next one.
                    carried = write;
                    break;
                }
                group.Add(write);
                bytes += write.Bytes;
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
                // Another process held the lock past BusyTimeout: retrying each write alone would only multiply the wait.
                var error = SqliteErrors.Map(failure, options, owner);
                foreach (var write in group)
                    write.Fail(error);
            }
            else
            {
                foreach (var write in group)
                {
                    if (TryCommit([write]) is { } own)
                        write.Fail(SqliteErrors.Map(own, options, owner));
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
    private Exception? TryCommit(List<PendingStateWrite> writes)
    {
        try
        {
            versions.EnsureRoom(writes.Count);
            commands.Begin();
            var ticks = time.GetUtcNow().UtcTicks;
            foreach (var write in writes)
                write.Apply(commands, versions, ticks);
            commands.Commit();
        }
        catch (Exception ex)
        {
            commands.RollbackIfOpen();
            return ex;
        }
        Interlocked.Increment(ref Transactions);
        Interlocked.Add(ref RowsCommitted, writes.Count);
        Interlocked.Add(ref rowsSinceCheckpoint, writes.Count);
        return null;
    }

    /// <summary>
    /// Copies the WAL into the database file and truncates it, on a connection of its own so it never
    /// waits behind the queue. It waits only briefly for readers and other processes' writers and is
    /// retried at the next interval; meanwhile <c>wal_autocheckpoint</c> and <c>journal_size_limit</c>
    /// keep the WAL bounded.
    /// </summary>
    private async Task ScheduleCheckpointsAsync()
    {
        using var timer = new PeriodicTimer(options.CheckpointInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping.Token).ConfigureAwait(false))
            {
                if (Interlocked.Read(ref rowsSinceCheckpoint) == 0)
                    continue;
                try
                {
                    if (Checkpoint(options.CheckpointWaitTimeout))
                        Interlocked.Exchange(ref rowsSinceCheckpoint, 0);
                }
                catch (Exception ex) when (ex is SqliteException or SqliteStoreException)
                {
                    // Best effort: the next tick tries again.
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>Runs <c>PRAGMA wal_checkpoint(TRUNCATE)</c>; true if it completed (SQLite reports "busy" in its result).</summary>
    private bool Checkpoint(TimeSpan wait)
    {
        using var checkpointer = SqliteDatabase.Open(options, owner);
        SQLitePCL.raw.sqlite3_busy_timeout(checkpointer.Handle, (int)wait.TotalMilliseconds);
        using var command = checkpointer.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
        using var reader = command.ExecuteReader();
        var busy = reader.Read() && reader.GetInt64(0) != 0;
        SqliteDatabase.Drain(reader);
        return !busy;
    }

    /// <summary>Stops taking writes, commits everything already queued, checkpoints and closes.</summary>
    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync().ConfigureAwait(false);
        await checkpoints.ConfigureAwait(false);
        queue.Writer.TryComplete();
        await loop.ConfigureAwait(false);
        try
        {
            Checkpoint(options.CheckpointWaitTimeout);
        }
        catch (Exception ex) when (ex is SqliteException or SqliteStoreException)
        {
            // Another process may hold the database; it checkpoints on its own. Our writes are committed.
        }
        commands.Dispose();
        connection.Dispose();
        stopping.Dispose();
    }
}
