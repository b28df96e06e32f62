using Comet.Abstractions.Errors;

namespace Comet.Storage;

/// <summary>
/// The rules every provider applies to a request before touching storage, in one place so that
/// all providers reject the same inputs with the same codes and messages.
/// </summary>
internal static class RequestChecks
{
    private const int MinTableNameLength = 3;
    private const int MaxTableNameLength = 63;

    /// <summary>Azure reserves this name for its table of tables.</summary>
    private const string ReservedTableName = "tables";

    public static void CheckTableName(string tableName)
    {
        ArgumentNullException.ThrowIfNull(tableName);
        var valid = tableName.Length is >= MinTableNameLength and <= MaxTableNameLength
            && char.IsAsciiLetter(tableName[0])
            && !tableName.AsSpan(1).ContainsAnyExcept(AsciiLettersAndDigits)
            && !tableName.Equals(ReservedTableName, StringComparison.OrdinalIgnoreCase);
        if (!valid)
        {
            throw new CometException(CometErrorCode.BadRequest,
                $"Table name '{Shorten(tableName)}' is invalid: use 3 to 63 ASCII letters and digits, starting with a letter (and not 'tables').");
        }
    }

    public static void CheckKey(string? key, string role, StorageLimits limits)
    {
        if (string.IsNullOrEmpty(key))
            throw new CometException(CometErrorCode.BadKey, $"The {role} is empty; give every row a non-empty {role}.");
        if (key.Length > limits.MaxKeyLength)
        {
            throw new CometException(CometErrorCode.BadKey,
                $"The {role} is {key.Length} characters long; the limit is {limits.MaxKeyLength}.");
        }
        if (!IsWellFormedUtf16(key))
            throw new CometException(CometErrorCode.BadKey, $"The {role} contains an unpaired UTF-16 surrogate; keys must be valid Unicode text.");
    }

    public static void CheckRow(StorageRow row, StorageLimits limits)
    {
        ArgumentNullException.ThrowIfNull(row);
        CheckKey(row.PartitionKey, "PartitionKey", limits);
        CheckKey(row.RowKey, "RowKey", limits);
        if (row.Data.Length > limits.MaxRowBytes)
        {
            throw new CometException(CometErrorCode.TooLarge,
                $"The row's data is {row.Data.Length} bytes; the limit is {limits.MaxRowBytes} (StorageLimits.MaxRowBytes).");
        }
    }

    public static void CheckPageSize(int pageSize, StorageLimits limits)
    {
        if (pageSize < 1 || pageSize > limits.MaxPageSize)
            throw new CometException(CometErrorCode.BadRequest, $"Page size {pageSize} is out of range: ask for 1 to {limits.MaxPageSize} rows.");
    }

    public static void CheckQuery(RowQuery query, StorageLimits limits)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.PartitionKey is not null)
            CheckKey(query.PartitionKey, "PartitionKey", limits);
        // Bounds need not be keys that could exist (any length is fine), but they must be text.
        if (query.RowKeyFrom is not null && !IsWellFormedUtf16(query.RowKeyFrom))
            throw new CometException(CometErrorCode.BadKey, "RowKeyFrom contains an unpaired UTF-16 surrogate.");
        if (query.RowKeyTo is not null && !IsWellFormedUtf16(query.RowKeyTo))
            throw new CometException(CometErrorCode.BadKey, "RowKeyTo contains an unpaired UTF-16 surrogate.");
    }

    /// <summary>Checks a batch against the Azure entity group transaction rules.</summary>
    public static void CheckBatch(string partitionKey, IReadOnlyList<RowOperation> operations, StorageLimits limits)
    {
        ArgumentNullException.ThrowIfNull(operations);
        CheckKey(partitionKey, "PartitionKey", limits);
        if (operations.Count > limits.MaxBatchOperations)
        {
            throw new CometException(CometErrorCode.BadRequest,
                $"A batch holds at most {limits.MaxBatchOperations} operations; this one has {operations.Count}. Split it.");
        }

        long totalBytes = 0;
        var seen = new HashSet<string>(operations.Count, StringComparer.Ordinal);
        for (var i = 0; i < operations.Count; i++)
        {
            var op = operations[i] ?? throw new ArgumentException($"Batch operation {i} is null.", nameof(operations));
            if (op.Row is { } row)
            {
                if (!string.Equals(row.PartitionKey, partitionKey, StringComparison.Ordinal))
                {
                    throw new CometException(CometErrorCode.BadRequest,
                        $"Batch operation {i} writes to partition '{Shorten(row.PartitionKey)}'; every row of a batch must be in the batch's partition '{Shorten(partitionKey)}'.");
                }
                CheckRow(row, limits);
                totalBytes += row.Data.Length;
            }
            else
            {
                CheckKey(op.RowKey, "RowKey", limits);
            }
            if (!seen.Add(op.RowKey))
                throw new CometException(CometErrorCode.BadRequest, $"Batch operation {i} touches a row an earlier operation touches; a batch may touch each row once.");
        }
        if (totalBytes > limits.MaxBatchBytes)
        {
            throw new CometException(CometErrorCode.TooLarge,
                $"The batch carries {totalBytes} bytes of data; the limit is {limits.MaxBatchBytes} (StorageLimits.MaxBatchBytes). Split it.");
        }
    }

    public static StorageConflictException InsertConflict(string partitionKey, string rowKey) =>
        new($"Row ('{Shorten(partitionKey)}', '{Shorten(rowKey)}') already exists; an insert-only write needs it to be absent.");

    public static StorageConflictException ETagConflict(string partitionKey, string rowKey, bool exists) =>
        new(exists
            ? $"Row ('{Shorten(partitionKey)}', '{Shorten(rowKey)}') changed since it was read (stale ETag); re-read it and retry."
            : $"Row ('{Shorten(partitionKey)}', '{Shorten(rowKey)}') does not exist, so it cannot match the given ETag.");

    public static StorageConflictException BatchConflict(int index, StorageConflictException cause) =>
        new($"Batch operation {index} failed, so the batch changed nothing: {cause.Message}", index);

    public static StorageConflictException BatchDeleteMissing(string partitionKey, string rowKey) =>
        new($"Row ('{Shorten(partitionKey)}', '{Shorten(rowKey)}') does not exist, and a delete in a batch needs it.");

    private static bool IsWellFormedUtf16(string text)
    {
        var span = text.AsSpan();
        var first = span.IndexOfAnyInRange('\uD800', '\uDFFF');
        if (first < 0)
            return true;
        for (var i = first; i < span.Length; i++)
        {
            var c = span[i];
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= span.Length || !char.IsLowSurrogate(span[i + 1]))
                    return false;
                i++;
            }
            else if (char.IsLowSurrogate(c))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Keeps messages readable for 1 KiB keys full of control characters.</summary>
    private static string Shorten(string key)
    {
        const int MaxShown = 64;
        var shown = key.AsSpan(0, Math.Min(key.Length, MaxShown));
        var text = new System.Text.StringBuilder(shown.Length + 8);
        foreach (var c in shown)
        {
            if (char.IsControl(c))
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
            else
                text.Append(c);
        }
        if (key.Length > MaxShown)
            text.Append('…');
        return text.ToString();
    }

    private static readonly System.Buffers.SearchValues<char> AsciiLettersAndDigits =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
}
