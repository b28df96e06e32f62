using System.Buffers;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Protocol;

namespace Comet.Abstractions.Versions;

/// <summary>
/// An immutable vector clock (Dynamo): one counter per coordinating silo, entries sorted by
/// node id (ordinal) so that equal clocks encode to equal bytes.
/// </summary>
public sealed class VectorClock : IEquatable<VectorClock>
{
    /// <summary>A clock with more entries than this is refused when decoded: clusters are small.</summary>
    public const int MaxEntries = 256;

    private readonly KeyValuePair<string, ulong>[] _entries;

    private VectorClock(KeyValuePair<string, ulong>[] entries) => _entries = entries;

    public static VectorClock Empty { get; } = new([]);

    public IReadOnlyList<KeyValuePair<string, ulong>> Entries => _entries;

    public ulong this[string node]
    {
        get
        {
            var i = IndexOf(node);
            return i >= 0 ? _entries[i].Value : 0;
        }
    }

    /// <summary>True when the event <paramref name="dot"/> is already reflected in this clock.</summary>
    public bool Contains(Dot dot) => this[dot.Node] >= dot.Counter;

    /// <summary>This clock with <paramref name="node"/>'s entry raised to at least <paramref name="counter"/>.</summary>
    public VectorClock With(string node, ulong counter)
    {
        var i = IndexOf(node);
        if (i >= 0)
        {
            if (_entries[i].Value >= counter) return this;
            var copy = (KeyValuePair<string, ulong>[])_entries.Clone();
            copy[i] = new(node, counter);
            return new VectorClock(copy);
        }
        var insertAt = ~i;
        var grown = new KeyValuePair<string, ulong>[_entries.Length + 1];
        Array.Copy(_entries, grown, insertAt);
        grown[insertAt] = new(node, counter);
        Array.Copy(_entries, insertAt, grown, insertAt + 1, _entries.Length - insertAt);
        return new VectorClock(grown);
    }

    /// <summary>The pointwise maximum: a clock that has seen everything both have seen.</summary>
    public VectorClock Merge(VectorClock other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var result = this;
        foreach (var (node, counter) in other._entries) result = result.With(node, counter);
        return result;
    }

    public ClockOrder CompareTo(VectorClock other)
    {
        ArgumentNullException.ThrowIfNull(other);
        bool less = false, greater = false;
        int i = 0, j = 0;
        while (i < _entries.Length || j < other._entries.Length)
        {
            int cmp = i >= _entries.Length ? 1 : j >= other._entries.Length ? -1
                : string.CompareOrdinal(_entries[i].Key, other._entries[j].Key);
            if (cmp < 0) { greater |= _entries[i].Value > 0; i++; }
            else if (cmp > 0) { less |= other._entries[j].Value > 0; j++; }
            else
            {
                if (_entries[i].Value < other._entries[j].Value) less = true;
                else if (_entries[i].Value > other._entries[j].Value) greater = true;
                i++;
                j++;
            }
        }
        return (less, greater) switch
        {
            (false, false) => ClockOrder.Equal,
            (true, false) => ClockOrder.Before,
            (false, true) => ClockOrder.After,
            _ => ClockOrder.Concurrent,
        };
    }

    public void WriteTo(ref PayloadWriter writer)
    {
        writer.WriteVarUInt((ulong)_entries.Length);
        foreach (var (node, counter) in _entries)
        {
            writer.WriteString(node);
            writer.WriteVarUInt(counter);
        }
    }

    public static VectorClock ReadFrom(ref PayloadReader reader)
    {
        var count = reader.ReadLength(MaxEntries);
        if (count == 0) return Empty;
        var entries = new KeyValuePair<string, ulong>[count];
        for (var i = 0; i < count; i++)
        {
            var node = reader.ReadString();
            if (node.Length == 0 || (i > 0 && string.CompareOrdinal(entries[i - 1].Key, node) >= 0))
                throw PayloadReader.Malformed("vector clock entries are not sorted and distinct");
            entries[i] = new(node, reader.ReadVarUInt());
        }
        return new VectorClock(entries);
    }

    /// <summary>An opaque, URL-safe token of this clock: the causal context a client sends back with a put.</summary>
    public string ToToken()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new PayloadWriter(buffer);
        WriteTo(ref writer);
        return Convert.ToBase64String(buffer.WrittenSpan).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public static VectorClock FromToken(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        byte[] bytes;
        try
        {
            var b64 = token.Replace('-', '+').Replace('_', '/');
            b64 = b64.PadRight(b64.Length + ((4 - (b64.Length % 4)) % 4), '=');
            bytes = Convert.FromBase64String(b64);
        }
        catch (FormatException)
        {
            throw new CometException(CometErrorCode.BadRequest, "The context token is not one this store issued; send back the 'context' of a get.");
        }
        try
        {
            var reader = new PayloadReader(bytes);
            var clock = ReadFrom(ref reader);
            reader.ExpectEnd();
            return clock;
        }
        catch (CometException)
        {
            throw new CometException(CometErrorCode.BadRequest, "The context token is damaged; send back the 'context' of a get unchanged.");
        }
    }

    public bool Equals(VectorClock? other) => other is not null && CompareTo(other) == ClockOrder.Equal;

    public override bool Equals(object? obj) => obj is VectorClock other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var (node, counter) in _entries)
        {
            if (counter == 0) continue;
            hash.Add(node, StringComparer.Ordinal);
            hash.Add(counter);
        }
        return hash.ToHashCode();
    }

    public override string ToString() =>
        "{" + string.Join(", ", _entries.Select(e => $"{e.Key}:{e.Value}")) + "}";

    private int IndexOf(string node)
    {
        int lo = 0, hi = _entries.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var cmp = string.CompareOrdinal(_entries[mid].Key, node);
            if (cmp == 0) return mid;
            if (cmp < 0) lo = mid + 1;
            else hi = mid - 1;
        }
        return ~lo;
    }
}

public enum ClockOrder
{
    Equal,
    /// <summary>This clock happened before the other (the other descends from it).</summary>
    Before,
    /// <summary>This clock descends from the other.</summary>
    After,
    Concurrent,
}
