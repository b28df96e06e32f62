using Comet.Abstractions.Errors;

namespace Comet.Storage.Azure;

/// <summary>
/// How a <see cref="StorageRow"/> maps onto entities: its encoded keys, and its data split into
/// 64 KiB properties on one entity, or, for rows above <see cref="TableEntity.MaxBytesPerEntity"/>,
/// on a main entity plus overflow entities in the same partition (so one entity group transaction
/// writes them all atomically). Overflow entities sit right after the main entity in key order
/// (see <see cref="TableKeyCodec"/>) and are skipped by queries.
/// </summary>
internal static class RowLayout
{
    /// <summary>The stored form of a pair of keys.</summary>
    public readonly record struct StoredKeys(string PartitionKey, string RowKey, bool PartitionKeyHashed, bool RowKeyHashed);

    public static StoredKeys Encode(string partitionKey, string rowKey)
    {
        var pk = TableKeyCodec.EncodeStored(partitionKey, out var pkHashed);
        var rk = TableKeyCodec.EncodeStored(rowKey, out var rkHashed);
        return new(pk, rk, pkHashed, rkHashed);
    }

    /// <summary>The entities of <paramref name="row"/>, main entity first.</summary>
    public static List<TableEntity> Split(StorageRow row, StoredKeys keys)
    {
        var data = row.Data;
        var entityCount = Math.Max(1, (data.Length + TableEntity.MaxBytesPerEntity - 1) / TableEntity.MaxBytesPerEntity);
        if (entityCount - 1 > TableKeyCodec.MaxOverflowEntities)
        {
            throw new CometException(CometErrorCode.TooLarge,
                $"The row's data is {data.Length} bytes; Azure Table storage holds at most {(TableKeyCodec.MaxOverflowEntities + 1) * TableEntity.MaxBytesPerEntity} bytes a row here.");
        }
        // Only rows that span entities need a generation: it lets a reader tell a matching set
        // of entities from one torn by a concurrent writer.
        var generation = entityCount > 1 ? Guid.NewGuid().ToString("N") : null;
        var entities = new List<TableEntity>(entityCount);
        for (var e = 0; e < entityCount; e++)
        {
            var part = data.Slice(e * TableEntity.MaxBytesPerEntity, Math.Min(TableEntity.MaxBytesPerEntity, data.Length - (e * TableEntity.MaxBytesPerEntity)));
            var chunks = new List<ReadOnlyMemory<byte>>();
            for (var offset = 0; offset < part.Length; offset += TableEntity.MaxPropertyBytes)
                chunks.Add(part.Slice(offset, Math.Min(TableEntity.MaxPropertyBytes, part.Length - offset)));
            var main = e == 0;
            entities.Add(new TableEntity(
                keys.PartitionKey,
                main ? keys.RowKey : TableKeyCodec.OverflowRowKey(keys.RowKey, e),
                chunks,
                main ? entityCount - 1 : 0,
                generation,
                keys.PartitionKeyHashed ? row.PartitionKey : null,
                main && keys.RowKeyHashed ? row.RowKey : null,
                null,
                default));
        }
        return entities;
    }

    /// <summary>
    /// Joins a main entity and its overflow entities (in order) into a row; null if the overflow
    /// entities are not the ones the main entity was written with (a concurrent write tore them).
    /// </summary>
    public static StorageRow? Join(TableEntity main, IReadOnlyList<TableEntity> overflow)
    {
        if (overflow.Count != main.OverflowCount)
            return null;
        var length = main.DataLength;
        foreach (var entity in overflow)
        {
            if (!string.Equals(entity.Generation, main.Generation, StringComparison.Ordinal))
                return null;
            length += entity.DataLength;
        }
        var data = new byte[length];
        var at = 0;
        foreach (var chunk in main.Chunks)
        {
            chunk.CopyTo(data.AsMemory(at));
            at += chunk.Length;
        }
        foreach (var entity in overflow)
        {
            foreach (var chunk in entity.Chunks)
            {
                chunk.CopyTo(data.AsMemory(at));
                at += chunk.Length;
            }
        }
        return ToRow(main, data);
    }

    /// <summary>The row of an entity that holds all its data.</summary>
    public static StorageRow ToRow(TableEntity main, ReadOnlyMemory<byte>? data = null)
    {
        if (data is null)
        {
            data = main.Chunks.Count switch
            {
                0 => ReadOnlyMemory<byte>.Empty,
                1 => main.Chunks[0],
                _ => Join(main, []) is { } whole ? whole.Data : ReadOnlyMemory<byte>.Empty,
            };
        }
        return new StorageRow(
            main.OriginalPartitionKey ?? TableKeyCodec.Decode(main.PartitionKey),
            main.OriginalRowKey ?? TableKeyCodec.Decode(main.RowKey),
            data.Value,
            main.ETag,
            main.Timestamp);
    }
}
