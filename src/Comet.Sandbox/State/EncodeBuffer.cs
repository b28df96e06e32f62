using System.Buffers;
using System.Buffers.Binary;

namespace Comet.Sandbox.State;

/// <summary>
/// A growable byte buffer for the canonical state encoding, plus the stack of map entries that
/// must be sorted by their encoded key bytes before they are written. One per thread, reused:
/// encoding the state after every handler call must not allocate.
/// </summary>
internal sealed class EncodeBuffer
{
    private const int InitialSize = 1024;
    private const int KeepAtMost = 256 * 1024;

    [ThreadStatic]
    private static EncodeBuffer? t_cached;

    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(InitialSize);
    private Entry[] _entries = new Entry[32];
    private int _entryCount;
    private byte[] _scratch = [];

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, Length);

    /// <summary>Takes this thread's buffer (or a new one); give it back with <see cref="Release"/>.</summary>
    public static EncodeBuffer Rent()
    {
        var buffer = t_cached ?? new EncodeBuffer();
        t_cached = null;
        buffer.Length = 0;
        buffer._entryCount = 0;
        return buffer;
    }

    public void Release()
    {
        if (_buffer.Length > KeepAtMost)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(InitialSize);
        }
        if (_scratch.Length > KeepAtMost)
        {
            _scratch = [];
        }
        t_cached = this;
    }

    public void WriteByte(byte b)
    {
        Ensure(1);
        _buffer[Length++] = b;
    }

    public void WriteVarint(ulong v)
    {
        Ensure(10);
        while (v >= 0x80)
        {
            _buffer[Length++] = (byte)(v | 0x80);
            v >>= 7;
        }
        _buffer[Length++] = (byte)v;
    }

    public void WriteInt64LittleEndian(long v)
    {
        Ensure(8);
        BinaryPrimitives.WriteInt64LittleEndian(_buffer.AsSpan(Length), v);
        Length += 8;
    }

    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(Length));
        Length += bytes.Length;
    }

    /// <summary>Marks the start of a map's entries; returns the entry stack mark for <see cref="EndMap"/>.</summary>
    public int BeginMap() => _entryCount;

    /// <summary>Records one entry written at [keyStart, end), its value starting at valueStart.</summary>
    public void AddEntry(int keyStart, int valueStart)
    {
        if (_entryCount == _entries.Length)
        {
            Array.Resize(ref _entries, _entries.Length * 2);
        }
        _entries[_entryCount++] = new Entry(keyStart, valueStart, Length);
    }

    /// <summary>
    /// Rewrites the entries recorded since <paramref name="mark"/> (written from
    /// <paramref name="regionStart"/> on, in traversal order) as: count, then the entries in
    /// ascending order of their key bytes.
    /// </summary>
    public void EndMap(int regionStart, int mark)
    {
        int count = _entryCount - mark;
        var entries = _entries.AsSpan(mark, count);
        int regionLength = Length - regionStart;
        if (count > 1)
        {
            Sort(entries);
        }
        if (_scratch.Length < regionLength)
        {
            _scratch = new byte[Math.Max(regionLength, Math.Min(_scratch.Length * 2, KeepAtMost))];
        }
        _buffer.AsSpan(regionStart, regionLength).CopyTo(_scratch);
        Length = regionStart;
        WriteVarint((ulong)count);
        Ensure(regionLength);
        foreach (var e in entries)
        {
            int len = e.End - e.KeyStart;
            _scratch.AsSpan(e.KeyStart - regionStart, len).CopyTo(_buffer.AsSpan(Length));
            Length += len;
        }
        _entryCount = mark;
    }

    public byte[] ToArray() => _buffer.AsSpan(0, Length).ToArray();

    private void Sort(Span<Entry> entries)
    {
        var buffer = _buffer;
        if (entries.Length > 32)
        {
            entries.Sort(new EntryComparer(buffer));
            return;
        }
        // Insertion sort: most maps are small, and this compares spans in place.
        for (int i = 1; i < entries.Length; i++)
        {
            var item = entries[i];
            var key = buffer.AsSpan(item.KeyStart, item.ValueStart - item.KeyStart);
            int j = i - 1;
            while (j >= 0 && buffer.AsSpan(entries[j].KeyStart, entries[j].ValueStart - entries[j].KeyStart).SequenceCompareTo(key) > 0)
            {
                entries[j + 1] = entries[j];
                j--;
            }
            entries[j + 1] = item;
        }
    }

    private void Ensure(int extra)
    {
        if (Length + extra > _buffer.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, Length + extra));
            _buffer.AsSpan(0, Length).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }
    }

    private readonly record struct Entry(int KeyStart, int ValueStart, int End);

    private readonly struct EntryComparer(byte[] buffer) : IComparer<Entry>
    {
        public int Compare(Entry x, Entry y) =>
            buffer.AsSpan(x.KeyStart, x.ValueStart - x.KeyStart)
                .SequenceCompareTo(buffer.AsSpan(y.KeyStart, y.ValueStart - y.KeyStart));
    }
}
