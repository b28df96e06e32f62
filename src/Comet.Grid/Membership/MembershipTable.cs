using Comet.Storage;

namespace Comet.Grid.Membership;

/// <summary>
/// The membership table (Orleans's IMembershipTable) on a storage table: one row per silo in
/// partition <c>cluster</c>; updates are conditional on the row's ETag, so concurrent writers
/// (a silo's IAmAlive and another silo's suspicion vote) never overwrite each other.
/// </summary>
public sealed class MembershipTable
{
    public const string TableName = "membership";
    private const string Partition = "cluster";
    private readonly IStorageTable _table;

    public MembershipTable(IStorageTable table) => _table = table;

    public async ValueTask<IReadOnlyList<(MembershipEntry Entry, string ETag)>> ReadAllAsync(CancellationToken ct)
    {
        var rows = new List<(MembershipEntry, string)>();
        await foreach (var row in _table.QueryAllAsync(RowQuery.Partition(Partition), ct: ct).ConfigureAwait(false))
            rows.Add((MembershipEntry.Decode(row.Data.Span), row.ETag ?? ""));
        return rows;
    }

    public async ValueTask<(MembershipEntry Entry, string ETag)?> ReadAsync(string siloId, CancellationToken ct)
    {
        var row = await _table.ReadAsync(Partition, siloId, ct).ConfigureAwait(false);
        return row is null ? null : (MembershipEntry.Decode(row.Data.Span), row.ETag ?? "");
    }

    /// <summary>Writes the row if it still has <paramref name="etag"/> (null: unconditionally). Returns the new ETag, or null when it lost a race.</summary>
    public async ValueTask<string?> TryWriteAsync(MembershipEntry entry, string? etag, CancellationToken ct)
    {
        var condition = etag is null ? WriteCondition.Upsert : WriteCondition.IfMatch(etag);
        try
        {
            return await _table.WriteAsync(new StorageRow(Partition, entry.SiloId, entry.Encode()), condition, ct).ConfigureAwait(false);
        }
        catch (StorageConflictException)
        {
            return null;
        }
    }
}
