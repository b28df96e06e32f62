using System.Buffers.Binary;
using Orleans.Storage;

namespace Comet.Persistence.Sqlite.Tests.Writer;

/// <summary>Stores a counter (a long) as 8 bytes; the grain state race needs nothing else.</summary>
internal sealed class CounterSerializer : IGrainStorageSerializer
{
    public BinaryData Serialize<T>(T? input)
    {
        var bytes = new byte[sizeof(long)];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, input is long value ? value : 0);
        return new BinaryData(bytes);
    }

    public T? Deserialize<T>(BinaryData input)
    {
        object value = BinaryPrimitives.ReadInt64LittleEndian(input.ToMemory().Span);
        return (T)value;
    }
}
