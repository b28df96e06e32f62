using Comet.Abstractions.Errors;
using Comet.Grains;

namespace Comet.Client;

/// <summary>Turns the coordinator grain's answers into the SDK's results. Cached static delegates: no per-request delegate allocation.</summary>
internal static class AnswerMapping
{
    public static readonly Func<PutResult, string, CometPutResult> Put = static (answer, _) =>
        new CometPutResult(answer.Version, answer.Context, answer.Replicas, answer.Created);

    public static readonly Func<PutResult, string, CometDeleteResult> Delete = static (answer, _) =>
        new CometDeleteResult(answer.Version, answer.Context, answer.Replicas);

    public static readonly Func<GetResult, string, CometGetResult> Get = static (answer, key) =>
    {
        if (answer.Items.Count == 0)
            throw new CometException(CometErrorCode.NotFound, $"No object under '{key}' (never stored, deleted or expired).");
        var versions = new CometVersionedValue[answer.Items.Count];
        for (var i = 0; i < versions.Length; i++)
        {
            var item = answer.Items[i];
            versions[i] = new CometVersionedValue(item.Version, item.Kind, item.Data, TimeOf(item.ExpiresAtMs));
        }
        return new CometGetResult(key, versions, answer.Context);
    };

    public static readonly Func<HistoryResult, string, IReadOnlyList<CometHistoryEntry>> History = static (answer, _) =>
    {
        var entries = new CometHistoryEntry[answer.Items.Count];
        for (var i = 0; i < entries.Length; i++)
        {
            var item = answer.Items[i];
            entries[i] = new CometHistoryEntry(item.Version, item.Kind, item.Live, TimeOf(item.WrittenAtMs) ?? DateTimeOffset.UnixEpoch,
                TimeOf(item.ExpiresAtMs), item.Size, item.DataKept);
        }
        return entries;
    };

    /// <summary>Unix milliseconds as a time; 0 (the store's "never") as null.</summary>
    internal static DateTimeOffset? TimeOf(long unixMs)
    {
        if (unixMs == 0) return null;
        if (unixMs < -62_135_596_800_000L || unixMs > 253_402_300_799_999L)
            throw new CometException(CometErrorCode.Internal, $"The cluster answered with a time of {unixMs} ms, which no date can hold.");
        return DateTimeOffset.FromUnixTimeMilliseconds(unixMs);
    }
}
