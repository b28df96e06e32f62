using System.Runtime.CompilerServices;

namespace Comet.Storage;

/// <summary>Conveniences built only on <see cref="IStorageTable"/>, so they work for every provider.</summary>
public static class StorageTableExtensions
{
    /// <summary>
    /// Streams every row matching <paramref name="query"/>, in order, following continuations page by
    /// page (<paramref name="pageSize"/> rows a page).
    /// </summary>
    public static async IAsyncEnumerable<StorageRow> QueryAllAsync(
        this IStorageTable table,
        RowQuery query,
        int pageSize = StorageLimits.AzureMaxPageSize,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        string? continuation = null;
        do
        {
            var page = await table.QueryAsync(query, continuation, pageSize, ct).ConfigureAwait(false);
            foreach (var row in page.Rows)
                yield return row;
            continuation = page.Continuation;
        }
        while (continuation is not null);
    }
}
