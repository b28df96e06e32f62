namespace Comet.Persistence.Sqlite;

/// <summary>
/// Hands out row versions (the ETags) that no writer, in any process, ever hands out again: the high
/// bits are an epoch this writer reserved in <c>orleans_counters</c> (one small transaction when the
/// writer starts, and again every 2^32 writes), the low 32 bits count writes within the epoch. So a
/// state that is deleted and written again never gets an old ETag back, and a stale writer holding
/// one can never match. A counter bumped in every transaction would do the same but write one more
/// page per commit. Versions of rolled-back writes are simply never used.
/// </summary>
internal sealed class RowVersions(GrainStateWriteCommands commands)
{
    private const string EpochCounter = "grain_state_epoch";
    private const int CounterBits = 32;
    private const long MaxCounter = (1L << CounterBits) - 1;
    private const long MaxEpoch = (1L << (63 - CounterBits)) - 1;

    private long epoch;
    private long counter = MaxCounter;

    /// <summary>Reserves a new epoch if fewer than <paramref name="rows"/> versions are left; call outside a transaction.</summary>
    public void EnsureRoom(int rows)
    {
        if (counter + rows > MaxCounter)
            ReserveEpoch();
    }

    private void ReserveEpoch()
    {
        commands.Begin();
        try
        {
            var reserved = SqliteSchema.Increment(commands.Connection, EpochCounter, 1);
            commands.Commit();
            if (reserved > MaxEpoch)
                throw new InvalidOperationException("The SQLite database has used up its grain state version epochs; copy its rows to a new file.");
            epoch = reserved;
            counter = 0;
        }
        catch
        {
            commands.RollbackIfOpen();
            throw;
        }
    }

    public long Next() => (epoch << CounterBits) | ++counter;
}
