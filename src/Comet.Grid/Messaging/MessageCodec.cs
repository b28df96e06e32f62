using System.Buffers;
using Comet.Abstractions.Protocol;

namespace Comet.Grid.Messaging;

/// <summary>Writes any message with a <c>WriteTo(ref PayloadWriter)</c> straight into a frame's buffer.</summary>
public static class MessageCodec
{
    public delegate void Writer<in T>(T message, ref PayloadWriter writer);

    public static Action<IBufferWriter<byte>, T> For<T>(Writer<T> write) => (buffer, message) =>
    {
        var w = new PayloadWriter(buffer);
        write(message, ref w);
    };

    public static readonly Action<IBufferWriter<byte>, ReplicaPutRequest> ReplicaPut = For<ReplicaPutRequest>(static (m, ref w) => m.WriteTo(ref w));
    public static readonly Action<IBufferWriter<byte>, ReplicaGetRequest> ReplicaGet = For<ReplicaGetRequest>(static (m, ref w) => m.WriteTo(ref w));
    public static readonly Action<IBufferWriter<byte>, ReplicaGetResponse> ReplicaGetAnswer = For<ReplicaGetResponse>(static (m, ref w) => m.WriteTo(ref w));
    public static readonly Action<IBufferWriter<byte>, HistoryRequest> History = For<HistoryRequest>(static (m, ref w) => m.WriteTo(ref w));
    public static readonly Action<IBufferWriter<byte>, HistoryResponse> HistoryAnswer = For<HistoryResponse>(static (m, ref w) => m.WriteTo(ref w));
    public static readonly Action<IBufferWriter<byte>, PutResponse> PutAnswer = For<PutResponse>(static (m, ref w) => m.WriteTo(ref w));
    public static readonly Action<IBufferWriter<byte>, GetResponse> GetAnswer = For<GetResponse>(static (m, ref w) => m.WriteTo(ref w));
    public static readonly Action<IBufferWriter<byte>, ClusterViewResponse> ClusterAnswer = For<ClusterViewResponse>(static (m, ref w) => m.WriteTo(ref w));
    public static readonly Action<IBufferWriter<byte>, ReplicaPutStatus> PutStatus = static (buffer, status) =>
    {
        var span = buffer.GetSpan(1);
        span[0] = (byte)status;
        buffer.Advance(1);
    };
}
