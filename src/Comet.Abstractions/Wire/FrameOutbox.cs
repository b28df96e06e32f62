using System.Buffers;

namespace Comet.Abstractions.Wire;

/// <summary>
/// The frames queued on a connection since the writer loop last took a batch: a list of pooled segments that
/// callers serialise into under the connection's write lock. Unlike a pipe it can patch a frame's length prefix
/// after a writer callback has produced the payload, and roll back a frame that failed or grew too large.
/// Not thread-safe.
/// </summary>
internal sealed class FrameOutbox : IBufferWriter<byte>
{
    private const int SegmentSize = 16 * 1024;

    private readonly List<byte[]> _segments = [];
    private readonly List<int> _used = [];
    private readonly List<ArraySegment<byte>> _sendList = [];
    private long _length;

    public long Length => _length;

    public bool IsEmpty => _length == 0;

    /// <summary>A position to roll back to.</summary>
    internal readonly record struct Mark(int SegmentCount, int TailUsed, long Length);

    public Mark GetMark() => _segments.Count == 0 ? new Mark(0, 0, 0) : new Mark(_segments.Count, _used[^1], _length);

    public void Rollback(Mark mark)
    {
        for (int i = _segments.Count - 1; i >= Math.Max(mark.SegmentCount, 1); i--)
        {
            ArrayPool<byte>.Shared.Return(_segments[i]);
            _segments.RemoveAt(i);
            _used.RemoveAt(i);
        }

        if (_segments.Count > 0)
        {
            _used[^1] = mark.SegmentCount == 0 ? 0 : mark.TailUsed;
        }

        _length = mark.Length;
    }

    /// <summary>Reserves <paramref name="size"/> contiguous bytes and returns where they are, to be filled in later.</summary>
    public ArraySegment<byte> Reserve(int size)
    {
        EnsureTail(size);
        int index = _segments.Count - 1;
        var reserved = new ArraySegment<byte>(_segments[index], _used[index], size);
        _used[index] += size;
        _length += size;
        return reserved;
    }

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count == 0)
        {
            return;
        }

        int index = _segments.Count - 1;
        if (index < 0 || _used[index] + count > _segments[index].Length)
        {
            throw new InvalidOperationException("Advanced past the buffer returned by GetSpan/GetMemory.");
        }

        _used[index] += count;
        _length += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        EnsureTail(Math.Max(sizeHint, 1));
        int index = _segments.Count - 1;
        return _segments[index].AsMemory(_used[index]);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        EnsureTail(Math.Max(sizeHint, 1));
        int index = _segments.Count - 1;
        return _segments[index].AsSpan(_used[index]);
    }

    /// <summary>The queued bytes as a list of segments (valid until <see cref="Reset"/>).</summary>
    public List<ArraySegment<byte>> GetSegments()
    {
        _sendList.Clear();
        for (int i = 0; i < _segments.Count; i++)
        {
            if (_used[i] > 0)
            {
                _sendList.Add(new ArraySegment<byte>(_segments[i], 0, _used[i]));
            }
        }

        return _sendList;
    }

    /// <summary>Empties the outbox, keeping one ordinary segment warm for the next batch.</summary>
    public void Reset()
    {
        int keep = _segments.Count > 0 && _segments[0].Length <= SegmentSize * 2 ? 1 : 0;
        for (int i = _segments.Count - 1; i >= keep; i--)
        {
            ArrayPool<byte>.Shared.Return(_segments[i]);
            _segments.RemoveAt(i);
            _used.RemoveAt(i);
        }

        if (keep == 1)
        {
            _used[0] = 0;
        }

        _sendList.Clear();
        _length = 0;
    }

    /// <summary>Returns every segment to the pool.</summary>
    public void Release()
    {
        foreach (byte[] segment in _segments)
        {
            ArrayPool<byte>.Shared.Return(segment);
        }

        _segments.Clear();
        _used.Clear();
        _sendList.Clear();
        _length = 0;
    }

    private void EnsureTail(int size)
    {
        int index = _segments.Count - 1;
        if (index >= 0 && _segments[index].Length - _used[index] >= size)
        {
            return;
        }

        _segments.Add(ArrayPool<byte>.Shared.Rent(Math.Max(size, SegmentSize)));
        _used.Add(0);
    }
}
