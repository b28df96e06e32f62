using FsCheck;
using FsCheck.Fluent;

namespace Comet.Storage.Tests.Contract;

/// <summary>One step of a random run against the provider and the model.</summary>
public enum ModelStep
{
    Upsert,
    InsertOnly,
    IfMatchCurrent,
    IfMatchStale,
    Delete,
    DeleteIfMatchCurrent,
    DeleteIfMatchStale,
    Read,
    QueryPartition,
    QueryAll,
    Batch,
}

/// <summary>A generated operation; <see cref="BatchRows"/> and <see cref="BatchKinds"/> are used by <see cref="ModelStep.Batch"/> only.</summary>
public sealed record ModelOperation(ModelStep Step, int Partition, int Row, byte Value, int[] BatchRows, int[] BatchKinds)
{
    public override string ToString() =>
        Step == ModelStep.Batch
            ? $"Batch(p{Partition}: {string.Join(", ", BatchRows.Zip(BatchKinds, (r, k) => $"{(k == 0 ? "upsert" : k == 1 ? "insert" : "delete")} r{r}"))})"
            : $"{Step}(p{Partition}, r{Row}, {Value})";
}

public abstract partial class StorageProviderContract
{
    // Few keys, so random operations collide; awkward ones, so the model also checks ordering.
    private static readonly string[] ModelPartitions = ["p", "p/\u0000", "😀", "\uFF01"];
    private static readonly string[] ModelRows = ["a", "a\u0000", "b", "#?", "\uFF01", "😀", "Z", "\u001F"];

    [Fact]
    public async Task Random_operation_sequences_match_a_dictionary_model()
    {
        var operation =
            from step in Gen.Elements(Enum.GetValues<ModelStep>())
            from partition in Gen.Choose(0, ModelPartitions.Length - 1)
            from row in Gen.Choose(0, ModelRows.Length - 1)
            from value in Gen.Choose(0, 255)
            from batchSize in Gen.Choose(1, 5)
            from batchRows in Gen.ArrayOf(Gen.Choose(0, ModelRows.Length - 1), batchSize)
            from batchKinds in Gen.ArrayOf(Gen.Choose(0, 2), batchSize)
            select new ModelOperation(step, partition, row, (byte)value, batchRows, batchKinds);
        var runs = Arb.Array(Arb.From(operation));

        // FsCheck runs properties synchronously; run it off xunit's synchronization context so
        // blocking on the provider's tasks cannot deadlock.
        await Task.Run(() => Check.One(
            Config.QuickThrowOnFailure.WithMaxTest(40).WithEndSize(60),
            Prop.ForAll(runs, operations => RunAgainstModelAsync(operations).GetAwaiter().GetResult())));
    }

    private async Task RunAgainstModelAsync(ModelOperation[] operations)
    {
        var table = await NewTableAsync();
        var model = new Dictionary<(string, string), (byte[] Data, string ETag)>();
        var stale = new Dictionary<(string, string), string>();
        const string NeverIssued = "never-issued";

        void Remember((string, string) key, string etag, byte[] data)
        {
            if (model.TryGetValue(key, out var old))
                stale[key] = old.ETag;
            model[key] = (data, etag);
        }

        void Forget((string, string) key)
        {
            if (model.Remove(key, out var old))
                stale[key] = old.ETag;
        }

        for (var i = 0; i < operations.Length; i++)
        {
            var op = operations[i];
            var pk = ModelPartitions[op.Partition];
            var rk = ModelRows[op.Row];
            var key = (pk, rk);
            var data = new[] { op.Value, (byte)i };
            var exists = model.TryGetValue(key, out var current);
            var staleETag = stale.GetValueOrDefault(key, NeverIssued);
            var at = $"step {i}: {op}";

            switch (op.Step)
            {
                case ModelStep.Upsert:
                    Remember(key, await table.WriteAsync(new StorageRow(pk, rk, data), WriteCondition.Upsert), data);
                    break;
                case ModelStep.InsertOnly:
                    if (exists)
                        await ExpectConflict(at, () => table.WriteAsync(new StorageRow(pk, rk, data), WriteCondition.InsertOnly).AsTask());
                    else
                        Remember(key, await table.WriteAsync(new StorageRow(pk, rk, data), WriteCondition.InsertOnly), data);
                    break;
                case ModelStep.IfMatchCurrent:
                    if (exists)
                        Remember(key, await table.WriteAsync(new StorageRow(pk, rk, data), WriteCondition.IfMatch(current.ETag)), data);
                    else
                        await ExpectConflict(at, () => table.WriteAsync(new StorageRow(pk, rk, data), WriteCondition.IfMatch(staleETag)).AsTask());
                    break;
                case ModelStep.IfMatchStale:
                    await ExpectConflict(at, () => table.WriteAsync(new StorageRow(pk, rk, data), WriteCondition.IfMatch(staleETag)).AsTask());
                    break;
                case ModelStep.Delete:
                    Assert.True(exists == await table.DeleteAsync(pk, rk), at);
                    Forget(key);
                    break;
                case ModelStep.DeleteIfMatchCurrent:
                    Assert.True(exists == await table.DeleteAsync(pk, rk, exists ? current.ETag : staleETag), at);
                    Forget(key);
                    break;
                case ModelStep.DeleteIfMatchStale:
                    if (exists)
                        await ExpectConflict(at, () => table.DeleteAsync(pk, rk, staleETag).AsTask());
                    else
                        Assert.False(await table.DeleteAsync(pk, rk, staleETag), at);
                    break;
                case ModelStep.Read:
                    var read = await table.ReadAsync(pk, rk);
                    Assert.True(exists == read is not null, at);
                    if (read is not null)
                    {
                        Assert.True(current.Data.AsSpan().SequenceEqual(read.Data.Span), at);
                        Assert.True(current.ETag == read.ETag, at);
                    }
                    break;
                case ModelStep.QueryPartition:
                    AssertMatchesModel(at, model.Where(kv => kv.Key.Item1 == pk), await ReadAllAsync(table, RowQuery.Partition(pk), pageSize: 3));
                    break;
                case ModelStep.QueryAll:
                    AssertMatchesModel(at, model, await ReadAllAsync(table, RowQuery.All, pageSize: 4));
                    break;
                case ModelStep.Batch:
                    await RunBatchAsync(table, op, pk, data, model, at, Remember, Forget);
                    break;
            }
        }

        AssertMatchesModel("at the end", model, await ReadAllAsync(table, RowQuery.All, pageSize: 5));
    }

    private static async Task RunBatchAsync(
        IStorageTable table, ModelOperation op, string pk, byte[] data,
        Dictionary<(string, string), (byte[] Data, string ETag)> model, string at,
        Action<(string, string), string, byte[]> remember, Action<(string, string)> forget)
    {
        var seen = new HashSet<int>();
        var ops = new List<(string RowKey, int Kind)>();
        for (var j = 0; j < op.BatchRows.Length; j++)
        {
            if (seen.Add(op.BatchRows[j]))
                ops.Add((ModelRows[op.BatchRows[j]], op.BatchKinds[j]));
        }

        var firstFailure = ops.FindIndex(o => o.Kind switch
        {
            1 => model.ContainsKey((pk, o.RowKey)), // insert-only on an existing row
            2 => !model.ContainsKey((pk, o.RowKey)), // delete of a missing row
            _ => false,
        });
        var batch = ops.Select(o => o.Kind == 2
            ? RowOperation.Delete(o.RowKey)
            : RowOperation.Write(new StorageRow(pk, o.RowKey, data), o.Kind == 1 ? WriteCondition.InsertOnly : WriteCondition.Upsert)).ToList();

        if (firstFailure >= 0)
        {
            var error = await ExpectConflict(at, () => table.BatchAsync(pk, batch).AsTask());
            Assert.True(firstFailure == error.OperationIndex, $"{at}: failed operation {error.OperationIndex}, expected {firstFailure}");
            return;
        }
        var etags = await table.BatchAsync(pk, batch);
        for (var j = 0; j < ops.Count; j++)
        {
            if (ops[j].Kind == 2)
            {
                Assert.True(etags[j] is null, at);
                forget((pk, ops[j].RowKey));
            }
            else
            {
                remember((pk, ops[j].RowKey), etags[j] ?? throw new InvalidOperationException($"{at}: no etag for a write"), data);
            }
        }
    }

    private static async Task<StorageConflictException> ExpectConflict(string at, Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (StorageConflictException conflict)
        {
            return conflict;
        }
        throw new Xunit.Sdk.XunitException($"{at}: expected a conflict, but the operation succeeded");
    }

    private static void AssertMatchesModel(string at, IEnumerable<KeyValuePair<(string, string), (byte[] Data, string ETag)>> expected, List<StorageRow> actual)
    {
        var ordered = expected
            .OrderBy(kv => kv.Key.Item1, StringComparer.Ordinal)
            .ThenBy(kv => kv.Key.Item2, StringComparer.Ordinal)
            .ToList();
        Assert.True(ordered.Count == actual.Count, $"{at}: {actual.Count} rows listed, model has {ordered.Count}");
        for (var i = 0; i < ordered.Count; i++)
        {
            var ((pk, rk), (data, etag)) = (ordered[i].Key, ordered[i].Value);
            Assert.True(pk == actual[i].PartitionKey && rk == actual[i].RowKey, $"{at}: row {i} is out of order or unexpected");
            Assert.True(etag == actual[i].ETag, $"{at}: row {i} has a different ETag");
            Assert.True(data.AsSpan().SequenceEqual(actual[i].Data.Span), $"{at}: row {i} has different data");
        }
    }
}
