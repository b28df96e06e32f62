namespace Comet.Storage.Sqlite;

/// <summary>
/// Hands out row versions (the ETags) that no provider, in any process, ever hands out again: the
/// high bits are an epoch this writer reserved in <c>comet_meta</c> (one small transaction when the
/// writer starts, and again every 2^32 writes), the low 32 bits count writes within the epoch. A
/// database-wide counter bumped in every transaction would do the same but write one more page to
/// the WAL per commit. Versions of rolled-back writes are simply never used.
/// </summary>
internal sealed class SqliteVersions(SqliteWriteCommands commands)
{
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

    /// <summary>Takes the next epoch from the database in its own transaction; call outside a transaction.</summary>
    public void ReserveEpoch()
    {
        commands.Begin();
        try
        {
            var reserved = commands.ReserveEpoch();
            commands.Commit();
            if (reserved > MaxEpoch)
                throw new InvalidOperationException("The database has used up its version epochs; copy its rows to a new file.");
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
