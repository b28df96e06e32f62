using System.Buffers;

namespace Comet.Abstractions.Wire;

/// <summary>
/// The payload of a received frame, copied out of the connection's receive buffer into a pooled array.
/// Dispose it once when done to return the array to the pool (not disposing only costs a pool miss;
/// disposing twice, or using it after disposing, is a bug: the array may already belong to someone else).
/// </summary>
public readonly struct FramePayload : IDisposable, IEquatable<FramePayload>
{
    private readonly byte[]? _array;
    private readonly int _length;

    private FramePayload(byte[] array, int length)
    {
        _array = array;
        _length = length;
    }

    /// <summary>An empty payload; disposing it does nothing.</summary>
    public static FramePayload Empty => default;

    /// <summary>Number of payload bytes.</summary>
    public int Length => _length;

    /// <summary>True when the payload has no bytes.</summary>
    public bool IsEmpty => _length == 0;

    /// <summary>The payload bytes, valid until <see cref="Dispose"/>.</summary>
    public ReadOnlyMemory<byte> Memory => _array is null ? ReadOnlyMemory<byte>.Empty : new(_array, 0, _length);

    /// <summary>The payload bytes, valid until <see cref="Dispose"/>.</summary>
    public ReadOnlySpan<byte> Span => _array is null ? ReadOnlySpan<byte>.Empty : new(_array, 0, _length);

    /// <summary>Copies the bytes into a new array that outlives this payload.</summary>
    public byte[] ToArray() => Span.ToArray();

    /// <summary>Copies <paramref name="source"/> into a pooled array.</summary>
    public static FramePayload CopyOf(ReadOnlySequence<byte> source)
    {
        if (source.IsEmpty)
        {
            return default;
        }

        int length = checked((int)source.Length);
        byte[] array = ArrayPool<byte>.Shared.Rent(length);
        source.CopyTo(array);
        return new FramePayload(array, length);
    }

    /// <summary>Copies <paramref name="source"/> into a pooled array.</summary>
    public static FramePayload CopyOf(ReadOnlySpan<byte> source)
    {
        if (source.IsEmpty)
        {
            return default;
        }

        byte[] array = ArrayPool<byte>.Shared.Rent(source.Length);
        source.CopyTo(array);
        return new FramePayload(array, source.Length);
    }

    /// <summary>Returns the pooled array. Call once.</summary>
    public void Dispose()
    {
        if (_array is not null)
        {
            ArrayPool<byte>.Shared.Return(_array);
        }
    }

    public bool Equals(FramePayload other) => ReferenceEquals(_array, other._array) && _length == other._length;

    public override bool Equals(object? obj) => obj is FramePayload other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_array, _length);

    public static bool operator ==(FramePayload left, FramePayload right) => left.Equals(right);

    public static bool operator !=(FramePayload left, FramePayload right) => !left.Equals(right);
}
