namespace Comet.Persistence.Sqlite;

/// <summary>
/// The writer and readers of one database file in this process, shared by every SQLite grain
/// storage on that file (with the same settings): several named storages, or several silos hosted
/// in one process, still commit through one writer. Leased at silo start, released at stop; the
/// last release drains the queue and closes the file.
/// </summary>
internal sealed class GrainStateStore
{
    private static readonly Dictionary<string, GrainStateStore> OpenStores = [];
    private static readonly SemaphoreSlim OpenGate = new(1, 1);

    private readonly string identity;
    private int leases;

    private GrainStateStore(string identity, GrainStateWriter writer, GrainStateReader reader)
    {
        this.identity = identity;
        Writer = writer;
        Reader = reader;
    }

    public GrainStateWriter Writer { get; }

    public GrainStateReader Reader { get; }

    /// <summary>Leases the store of <paramref name="options"/>' file, opening it (and creating its table) if this process has not.</summary>
    public static async Task<GrainStateStore> LeaseAsync(SqliteGrainStorageOptions options, string owner, TimeProvider time)
    {
        var identity = options.StoreIdentity();
        await OpenGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!OpenStores.TryGetValue(identity, out var store))
            {
                var writer = await Task.Run(() => new GrainStateWriter(options, owner, time)).ConfigureAwait(false);
                store = new GrainStateStore(identity, writer, new GrainStateReader(options, owner));
                OpenStores.Add(identity, store);
            }
            store.leases++;
            return store;
        }
        finally
        {
            OpenGate.Release();
        }
    }

    /// <summary>Gives a lease back; the last one closes the file after committing every queued write.</summary>
    public async Task ReleaseAsync()
    {
        await OpenGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (--leases > 0)
                return;
            OpenStores.Remove(identity);
            Reader.Dispose();
            await Writer.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            OpenGate.Release();
        }
    }
}
