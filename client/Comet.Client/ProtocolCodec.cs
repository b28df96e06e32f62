using System.Buffers;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Protocol;

namespace Comet.Client;

/// <summary>
/// The client's side of the binary protocol: writers that serialise a message straight into a frame (the messages of
/// Comet.Abstractions are the one definition of the format), and readers that turn an answer into the SDK's results.
/// Cached static delegates, so no per-request delegate allocation.
/// </summary>
internal static class ProtocolCodec
{
    public delegate T Reader<out T>(ReadOnlySpan<byte> payload, string key);

    public static readonly Action<IBufferWriter<byte>, PutRequest> WritePut = static (buffer, message) =>
    {
        var writer = new PayloadWriter(buffer);
        message.WriteTo(ref writer);
    };

    public static readonly Action<IBufferWriter<byte>, GetRequest> WriteGet = static (buffer, message) =>
    {
        var writer = new PayloadWriter(buffer);
        message.WriteTo(ref writer);
    };

    public static readonly Action<IBufferWriter<byte>, DeleteRequest> WriteDelete = static (buffer, message) =>
    {
        var writer = new PayloadWriter(buffer);
        message.WriteTo(ref writer);
    };

    public static readonly Action<IBufferWriter<byte>, HistoryRequest> WriteHistory = static (buffer, message) =>
    {
        var writer = new PayloadWriter(buffer);
        message.WriteTo(ref writer);
    };

    public static readonly Reader<CometPutResult> ReadPut = static (payload, _) =>
    {
        var reader = new PayloadReader(payload);
        var answer = PutResponse.ReadFrom(ref reader);
        return new CometPutResult(answer.Version, answer.Context, answer.Replicas, answer.Created);
    };

    public static readonly Reader<CometDeleteResult> ReadDelete = static (payload, _) =>
    {
        var reader = new PayloadReader(payload);
        var answer = PutResponse.ReadFrom(ref reader);
        return new CometDeleteResult(answer.Version, answer.Context, answer.Replicas);
    };

    public static readonly Reader<CometGetResult> ReadGet = static (payload, key) =>
    {
        var reader = new PayloadReader(payload);
        var answer = GetResponse.ReadFrom(ref reader);
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

    public static readonly Reader<IReadOnlyList<CometHistoryEntry>> ReadHistory = static (payload, _) =>
    {
        var reader = new PayloadReader(payload);
        var answer = HistoryResponse.ReadFrom(ref reader);
        var entries = new CometHistoryEntry[answer.Items.Count];
        for (var i = 0; i < entries.Length; i++)
        {
            var item = answer.Items[i];
            entries[i] = new CometHistoryEntry(item.Version, item.Kind, item.Live, TimeOf(item.WrittenAtMs) ?? DateTimeOffset.UnixEpoch,
                TimeOf(item.ExpiresAtMs), item.Code, item.Value);
        }
        return entries;
    };

    /// <summary>Unix milliseconds as a time; 0 (the protocol's "never") as null.</summary>
    internal static DateTimeOffset? TimeOf(long unixMs)
    {
        if (unixMs == 0) return null;
        if (unixMs < -62_135_596_800_000L || unixMs > 253_402_300_799_999L)
            throw PayloadReader.Malformed($"a time of {unixMs} ms is out of range");
        return DateTimeOffset.FromUnixTimeMilliseconds(unixMs);
    }
}
