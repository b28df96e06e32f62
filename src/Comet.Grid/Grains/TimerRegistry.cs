using Comet.Abstractions.Keys;
using Comet.Storage;

namespace Comet.Grid.Grains;

/// <summary>
/// Which keys have an ASO with a running timer on this silo (table <c>timers</c>, partition =
/// silo id). At start-up the silo activates them again, so timers survive deactivation and restarts.
/// </summary>
public sealed class TimerRegistry
{
    public const string TableName = "timers";
    private readonly IStorageTable _table;
    private readonly string _siloId;

    public TimerRegistry(IStorageTable table, string siloId)
    {
        _table = table;
        _siloId = siloId;
    }

    public async ValueTask SetAsync(ObjectKey key, bool armed, CancellationToken ct)
    {
        var row = key.Namespace + "/" + key.Key;
        if (armed) await _table.WriteAsync(new StorageRow(_siloId, row, Array.Empty<byte>()), WriteCondition.Upsert, ct).ConfigureAwait(false);
        else await _table.DeleteAsync(_siloId, row, null, ct).ConfigureAwait(false);
    }

    public async IAsyncEnumerable<(string Namespace, string Key)> ListAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var row in _table.QueryAllAsync(RowQuery.Partition(_siloId), ct: ct).ConfigureAwait(false))
        {
            var slash = row.RowKey.IndexOf('/', StringComparison.Ordinal);
            if (slash > 0) yield return (row.RowKey[..slash], row.RowKey[(slash + 1)..]);
        }
    }
}
