using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Core;
using Comet.Abstractions.Errors;

namespace Comet.Storage.Azure;

/// <summary>
/// One Azure table with the contract's semantics: conditional writes map to Insert (InsertOnly),
/// Insert Or Replace (Upsert) and Update with If-Match; a row larger than one entity, and every
/// batch, is one entity group transaction; queries page with Azure's continuation headers.
/// </summary>
internal sealed class AzureTable(string name, string azureName, TableRestClient client, StorageLimits limits) : IStorageTable
{
    /// <summary>How often a read retries when a concurrent write tore a multi-entity row under it.</summary>
    private const int TornReadAttempts = 5;

    public string Name { get; } = name;

    public async ValueTask<StorageRow?> ReadAsync(string partitionKey, string rowKey, CancellationToken ct = default)
    {
        RequestChecks.CheckKey(partitionKey, "PartitionKey", limits);
        RequestChecks.CheckKey(rowKey, "RowKey", limits);
        var keys = RowLayout.Encode(partitionKey, rowKey);
        for (var attempt = 0; attempt < TornReadAttempts; attempt++)
        {
            var main = await ReadEntityAsync(keys, ct).ConfigureAwait(false);
            if (main is null)
                return null;
            if (main.OverflowCount == 0)
                return RowLayout.ToRow(main);
            if (RowLayout.Join(main, await ReadOverflowAsync(keys, ct).ConfigureAwait(false)) is { } row)
                return row;
        }
        throw new CometException(CometErrorCode.Unavailable,
            $"Row ('{partitionKey}', '{rowKey}') kept changing while it was read ({TornReadAttempts} attempts); try again.");
    }

    public async ValueTask<string> WriteAsync(StorageRow row, WriteCondition condition, CancellationToken ct = default)
    {
        RequestChecks.CheckRow(row, limits);
        ct.ThrowIfCancellationRequested();
        var keys = RowLayout.Encode(row.PartitionKey, row.RowKey);
        string? ifMatch = null;
        if (condition.Kind == WriteConditionKind.IfMatch)
            ifMatch = RowETag.AzurePart(condition.ETag!, keys) ?? throw ForeignETag(row.PartitionKey, row.RowKey, condition.ETag!);
        var entities = RowLayout.Split(row, keys);
        if (entities.Count > 1)
            return (await RunBatchAsync(row.PartitionKey, [RowOperation.Write(row, condition)], [entities], ct).ConfigureAwait(false))[0]!;

        var main = entities[0];
        using var response = condition.Kind switch
        {
            WriteConditionKind.InsertOnly => await client.SendAsync(RequestMethod.Post, azureName, ct, body: main.ToJson()).ConfigureAwait(false),
            WriteConditionKind.IfMatch => await client.SendAsync(RequestMethod.Put, EntityPath(keys), ct, ifMatch: ifMatch, body: main.ToJson()).ConfigureAwait(false),
            _ => await client.SendAsync(RequestMethod.Put, EntityPath(keys), ct, body: main.ToJson()).ConfigureAwait(false),
        };
        if (response.Status is 201 or 204)
            return RowETag.Compose(ETagOf(response), keys);
        throw WriteFailure(response, row.PartitionKey, row.RowKey, condition.Kind);
    }

    public async ValueTask<bool> DeleteAsync(string partitionKey, string rowKey, string? ifMatchETag = null, CancellationToken ct = default)
    {
        RequestChecks.CheckKey(partitionKey, "PartitionKey", limits);
        RequestChecks.CheckKey(rowKey, "RowKey", limits);
        ct.ThrowIfCancellationRequested();
        var keys = RowLayout.Encode(partitionKey, rowKey);
        var ifMatch = ifMatchETag is null ? "*" : RowETag.AzurePart(ifMatchETag, keys);
        if (ifMatch is null)
        {
            // It cannot match: a conflict if the row exists, nothing to delete if it does not.
            if (await ReadEntityAsync(keys, ct).ConfigureAwait(false) is null)
                return false;
            throw ForeignETag(partitionKey, rowKey, ifMatchETag!);
        }

        using var response = await client.SendAsync(RequestMethod.Delete, EntityPath(keys), ct, ifMatch: ifMatch).ConfigureAwait(false);
        switch (response.Status)
        {
            case 204:
                await CollectOverflowAsync(keys, ct).ConfigureAwait(false);
                return true;
            case 404:
                return false;
            case 412:
                throw RequestChecks.ETagConflict(partitionKey, rowKey, exists: true);
            default:
                throw TableRestClient.Failure(response, $"delete a row of table '{Name}'");
        }
    }

    public async ValueTask<StoragePage> QueryAsync(RowQuery query, string? continuation, int pageSize, CancellationToken ct = default)
    {
        RequestChecks.CheckQuery(query, limits);
        RequestChecks.CheckPageSize(pageSize, limits);
        var next = continuation is null ? default : AzureContinuation.Decode(continuation);
        ct.ThrowIfCancellationRequested();
        if (query.RowKeyFrom is not null && query.RowKeyTo is not null && string.CompareOrdinal(query.RowKeyFrom, query.RowKeyTo) >= 0)
            return new StoragePage([], null);

        var parameters = new List<KeyValuePair<string, string>>();
        if (Filter(query) is { Length: > 0 } filter)
            parameters.Add(new("$filter", filter));
        parameters.Add(new("$top", pageSize.ToString(CultureInfo.InvariantCulture)));
        if (continuation is not null)
        {
            parameters.Add(new("NextPartitionKey", next.NextPartitionKey));
            if (next.NextRowKey is not null)
                parameters.Add(new("NextRowKey", next.NextRowKey));
        }

        var (entities, nextPartitionKey, nextRowKey) = await QueryEntitiesAsync(parameters, ct).ConfigureAwait(false);
        var rows = new List<StorageRow>(entities.Count);
        foreach (var entity in entities)
        {
            // Overflow entities belong to the row before them; the row reads them itself.
            if (TableKeyCodec.IsOverflowRowKey(entity.RowKey))
                continue;
            if (entity.OverflowCount == 0)
            {
                rows.Add(RowLayout.ToRow(entity));
                continue;
            }
            var keys = new RowLayout.StoredKeys(entity.PartitionKey, entity.RowKey, false, false);
            if (RowLayout.Join(entity, await ReadOverflowAsync(keys, ct).ConfigureAwait(false)) is { } joined)
            {
                rows.Add(joined);
            }
            else
            {
                // Changed since the page was read: read it again as a whole (it may be gone).
                var original = RowLayout.ToRow(entity, ReadOnlyMemory<byte>.Empty);
                if (await ReadAsync(original.PartitionKey, original.RowKey, ct).ConfigureAwait(false) is { } fresh)
                    rows.Add(fresh);
            }
        }
        var token = nextPartitionKey is null ? null : AzureContinuation.Encode(nextPartitionKey, nextRowKey);
        return new StoragePage(rows, token);
    }

    public async ValueTask<IReadOnlyList<string?>> BatchAsync(string partitionKey, IReadOnlyList<RowOperation> operations, CancellationToken ct = default)
    {
        RequestChecks.CheckBatch(partitionKey, operations, limits);
        if (operations.Count == 0)
            return [];
        ct.ThrowIfCancellationRequested();
        var layouts = new List<List<TableEntity>?>(operations.Count);
        for (var i = 0; i < operations.Count; i++)
        {
            var op = operations[i];
            var etag = op.Kind == RowOperationKind.Delete ? op.IfMatchETag : op.Condition.ETag;
            if (etag is not null && RowETag.AzurePart(etag, RowLayout.Encode(partitionKey, op.RowKey)) is null)
                throw RequestChecks.BatchConflict(i, ForeignETag(partitionKey, op.RowKey, etag));
            layouts.Add(op.Row is { } row ? RowLayout.Split(row, RowLayout.Encode(row.PartitionKey, row.RowKey)) : null);
        }
        return await RunBatchAsync(partitionKey, operations, layouts, ct).ConfigureAwait(false);
    }

    /// <summary>Sends operations (with their entities; null for deletes) as one entity group transaction.</summary>
    private async Task<string?[]> RunBatchAsync(string partitionKey, IReadOnlyList<RowOperation> operations, IReadOnlyList<List<TableEntity>?> layouts, CancellationToken ct)
    {
        var payload = new BatchPayload();
        var owners = new List<int>();
        for (var i = 0; i < operations.Count; i++)
        {
            var op = operations[i];
            var keys = RowLayout.Encode(partitionKey, op.RowKey);
            if (layouts[i] is not { } entities)
            {
                payload.Add("DELETE", client.Url(EntityPath(keys)), op.IfMatchETag is null ? "*" : RowETag.AzurePart(op.IfMatchETag, keys), null);
                owners.Add(i);
                continue;
            }
            var main = entities[0];
            switch (op.Condition.Kind)
            {
                case WriteConditionKind.InsertOnly:
                    payload.Add("POST", client.Url(azureName), null, main.ToJson());
                    break;
                case WriteConditionKind.IfMatch:
                    payload.Add("PUT", client.Url(EntityPath(keys)), RowETag.AzurePart(op.Condition.ETag!, keys), main.ToJson());
                    break;
                default:
                    payload.Add("PUT", client.Url(EntityPath(keys)), null, main.ToJson());
                    break;
            }
            owners.Add(i);
            for (var e = 1; e < entities.Count; e++)
            {
                payload.Add("PUT", client.Url(EntityPath(new RowLayout.StoredKeys(keys.PartitionKey, entities[e].RowKey, false, false))), null, entities[e].ToJson());
                owners.Add(i);
            }
        }
        if (payload.Count > StorageLimits.AzureMaxBatchOperations)
        {
            throw new CometException(CometErrorCode.BadRequest,
                $"This batch needs {payload.Count} Azure operations (a row over {TableEntity.MaxBytesPerEntity} bytes takes one more per {TableEntity.MaxBytesPerEntity} bytes); Azure allows {StorageLimits.AzureMaxBatchOperations}. Split it.");
        }

        var body = payload.ToArray();
        using var response = await client.SendAsync(RequestMethod.Post, "$batch", ct, body: body, contentType: payload.ContentType).ConfigureAwait(false);
        if (response.Status != 202)
            throw TableRestClient.Failure(response, $"run a batch on table '{Name}'");
        var parts = BatchPayload.ParseResponse(response.Content.ToString());
        var failed = parts.FindIndex(p => p.Status >= 300);
        if (failed < 0 && parts.Count == owners.Count)
        {
            var etags = new string?[operations.Count];
            for (var r = 0; r < owners.Count; r++)
            {
                // The first request of a write is its main entity: its ETag is the row's.
                if (operations[owners[r]].Kind == RowOperationKind.Write && etags[owners[r]] is null)
                    etags[owners[r]] = RowETag.Compose(
                        parts[r].ETag ?? throw new CometException(CometErrorCode.Internal, "Azure answered a batch write without an ETag."),
                        RowLayout.Encode(partitionKey, operations[owners[r]].RowKey));
            }
            return etags;
        }
        var part = failed >= 0 ? parts[failed] : default;
        var request = BatchPayload.FailedIndex(part.Body ?? "") ?? 0;
        var index = request < owners.Count ? owners[request] : 0;
        var failedOp = operations[index];
        var cause = part.Status switch
        {
            409 when failedOp.Kind == RowOperationKind.Write => RequestChecks.InsertConflict(partitionKey, failedOp.RowKey),
            404 when failedOp.Kind == RowOperationKind.Delete => RequestChecks.BatchDeleteMissing(partitionKey, failedOp.RowKey),
            404 => RequestChecks.ETagConflict(partitionKey, failedOp.RowKey, exists: false),
            412 => RequestChecks.ETagConflict(partitionKey, failedOp.RowKey, exists: true),
            _ => null,
        };
        if (cause is null)
        {
            throw new CometException(part.Status == 413 ? CometErrorCode.TooLarge : CometErrorCode.BadRequest,
                $"Azure Table storage rejected batch operation {index} with {part.Status}: {Shorten(part.Body)}");
        }
        throw RequestChecks.BatchConflict(index, cause);
    }

    private async Task<TableEntity?> ReadEntityAsync(RowLayout.StoredKeys keys, CancellationToken ct)
    {
        using var response = await client.SendAsync(RequestMethod.Get, EntityPath(keys), ct).ConfigureAwait(false);
        if (response.Status == 404)
            return null;
        if (response.Status != 200)
            throw TableRestClient.Failure(response, $"read a row of table '{Name}'");
        using var json = JsonDocument.Parse(response.Content.ToMemory());
        var entity = TableEntity.Parse(json.RootElement);
        // A point read reports the ETag in the header; the body's odata.etag is the same.
        return WithRowETag(entity with { ETag = entity.ETag ?? ETagOf(response) });
    }

    /// <summary>The overflow entities of a row, in order (a partition range query: they sort right after it).</summary>
    private async Task<List<TableEntity>> ReadOverflowAsync(RowLayout.StoredKeys keys, CancellationToken ct)
    {
        var (from, to) = TableKeyCodec.OverflowRange(keys.RowKey);
        var filter = $"PartitionKey eq {TableRestClient.Literal(keys.PartitionKey)} and RowKey ge {TableRestClient.Literal(from)} and RowKey lt {TableRestClient.Literal(to)}";
        var (entities, _, _) = await QueryEntitiesAsync([new("$filter", filter)], ct).ConfigureAwait(false);
        return entities;
    }

    /// <summary>
    /// Deletes overflow entities no live row refers to (left by a delete, or by a smaller write over
    /// a larger row). Each is deleted only with the ETag seen, so a concurrent writer's fresh
    /// overflow entities are never removed.
    /// </summary>
    private async Task CollectOverflowAsync(RowLayout.StoredKeys keys, CancellationToken ct)
    {
        var overflow = await ReadOverflowAsync(keys, ct).ConfigureAwait(false);
        if (overflow.Count == 0)
            return;
        var main = await ReadEntityAsync(keys, ct).ConfigureAwait(false);
        for (var i = 0; i < overflow.Count; i++)
        {
            var entity = overflow[i];
            if (main is not null && i < main.OverflowCount && string.Equals(entity.Generation, main.Generation, StringComparison.Ordinal))
                continue;
            var path = EntityPath(new RowLayout.StoredKeys(keys.PartitionKey, entity.RowKey, false, false));
            using var response = await client.SendAsync(RequestMethod.Delete, path, ct, ifMatch: entity.ETag ?? "*").ConfigureAwait(false);
            // 404/412: someone else removed or rewrote it; either way it is not ours to delete.
        }
    }

    private async Task<(List<TableEntity> Entities, string? NextPartitionKey, string? NextRowKey)> QueryEntitiesAsync(
        List<KeyValuePair<string, string>> parameters, CancellationToken ct)
    {
        using var response = await client.SendAsync(RequestMethod.Get, azureName + "()", ct, query: parameters).ConfigureAwait(false);
        if (response.Status != 200)
            throw TableRestClient.Failure(response, $"query table '{Name}'");
        using var json = JsonDocument.Parse(response.Content.ToMemory());
        var entities = new List<TableEntity>();
        foreach (var element in json.RootElement.GetProperty("value").EnumerateArray())
            entities.Add(WithRowETag(TableEntity.Parse(element)));
        response.Headers.TryGetValue("x-ms-continuation-NextPartitionKey", out var nextPartitionKey);
        response.Headers.TryGetValue("x-ms-continuation-NextRowKey", out var nextRowKey);
        return (entities, string.IsNullOrEmpty(nextPartitionKey) ? null : nextPartitionKey, string.IsNullOrEmpty(nextRowKey) ? null : nextRowKey);
    }

    /// <summary>Turns the entity's Azure ETag into the row's (overflow entities keep Azure's: they are deleted with it).</summary>
    private static TableEntity WithRowETag(TableEntity entity) =>
        entity.ETag is null || TableKeyCodec.IsOverflowRowKey(entity.RowKey)
            ? entity
            : entity with { ETag = RowETag.Compose(entity.ETag, new RowLayout.StoredKeys(entity.PartitionKey, entity.RowKey, false, false)) };

    private static string Filter(RowQuery query)
    {
        var parts = new List<string>(3);
        if (query.PartitionKey is not null)
            parts.Add("PartitionKey eq " + TableRestClient.Literal(RowLayout.Encode(query.PartitionKey, "r").PartitionKey));
        if (query.RowKeyFrom is not null)
            parts.Add("RowKey ge " + TableRestClient.Literal(TableKeyCodec.Encode(query.RowKeyFrom)));
        if (query.RowKeyTo is not null)
            parts.Add("RowKey lt " + TableRestClient.Literal(TableKeyCodec.Encode(query.RowKeyTo)));
        return string.Join(" and ", parts);
    }

    private string EntityPath(RowLayout.StoredKeys keys) => TableRestClient.EntityPath(azureName, keys.PartitionKey, keys.RowKey);

    private static string ETagOf(Response response) =>
        response.Headers.TryGetValue("ETag", out var etag) && !string.IsNullOrEmpty(etag)
            ? etag
            : throw new CometException(CometErrorCode.Internal, "Azure answered a write without an ETag.");

    private Exception WriteFailure(Response response, string partitionKey, string rowKey, WriteConditionKind kind) => response.Status switch
    {
        409 when kind == WriteConditionKind.InsertOnly => RequestChecks.InsertConflict(partitionKey, rowKey),
        412 => RequestChecks.ETagConflict(partitionKey, rowKey, exists: true),
        404 when kind == WriteConditionKind.IfMatch => RequestChecks.ETagConflict(partitionKey, rowKey, exists: false),
        _ => TableRestClient.Failure(response, $"write a row of table '{Name}'"),
    };

    private static StorageConflictException ForeignETag(string partitionKey, string rowKey, string etag) =>
        new($"The ETag '{Shorten(etag)}' was not issued by Azure Table storage, so it cannot match row ('{Shorten(partitionKey)}', '{Shorten(rowKey)}'); re-read the row and retry.");

    private static string Shorten(string? text)
    {
        const int MaxShown = 200;
        text ??= "";
        var shown = new StringBuilder(Math.Min(text.Length, MaxShown) + 1);
        foreach (var c in text.AsSpan(0, Math.Min(text.Length, MaxShown)))
            shown.Append(char.IsControl(c) ? '?' : c);
        if (text.Length > MaxShown)
            shown.Append('…');
        return shown.ToString();
    }
}
