using System.Buffers;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Protocol;

namespace Comet.Abstractions.Versions;

/// <summary>
/// An immutable causal context: a vector clock (Dynamo), one counter per coordinating node meaning
/// "every event of that node up to here", plus the single events seen beyond it (dots). Entries and
/// dots are sorted so that equal contexts encode to equal bytes. The dots matter: a reader that saw
/// version r0:7 but not the concurrent r0:6 (a replica had 7 before 6 arrived) must not send back a
/// context that claims r0:6, or the put made with it would silently replace a write nobody saw.
/// </summary>
public sealed class VectorClock : IEquatable<VectorClock>
{
    /// <summary>A clock with more entries (or more dots) than this is refused when decoded: clusters are small.</summary>
    public const int MaxEntries = 256;

    private readonly KeyValuePair<string, ulong>[] _entries;
    private readonly Dot[] _dots;

    private VectorClock(KeyValuePair<string, ulong>[] entries, Dot[]? dots = null)
    {
        _entries = entries;
        _dots = dots ?? [];
    }

    public static VectorClock Empty { get; } = new([]);

    public IReadOnlyList<KeyValuePair<string, ulong>> Entries => _entries;

    /// <summary>Single events seen beyond <see cref="Entries"/>.</summary>
    public IReadOnlyList<Dot> Dots => _dots;

    /// <summary>The highest counter of <paramref name="node"/> this context has seen, as an entry or a dot.</summary>
    public ulong this[string node]
    {
        get
        {
            var i = IndexOf(node);
            var max = i >= 0 ? _entries[i].Value : 0;
            foreach (var dot in _dots) if (dot.Node == node && dot.Counter > max) max = dot.Counter;
            return max;
        }
    }

    private ulong EntryOf(string node)
    {
        var i = IndexOf(node);
        return i >= 0 ? _entries[i].Value : 0;
    }

    /// <summary>True when the event <paramref name="dot"/> is already reflected in this clock.</summary>
    public bool Contains(Dot dot) => EntryOf(dot.Node) >= dot.Counter || Array.IndexOf(_dots, dot) >= 0;

    /// <summary>This context with the single event <paramref name="dot"/> added (not the events before it).</summary>
    public VectorClock WithDot(Dot dot)
    {
        if (Contains(dot)) return this;
        var dots = new Dot[_dots.Length + 1];
        _dots.CopyTo(dots, 0);
        dots[^1] = dot;
        return Normalize(_entries, dots);
    }

    /// <summary>Drops dots the entries cover, folds dots that continue an entry into it, sorts what stays.</summary>
    private static VectorClock Normalize(KeyValuePair<string, ulong>[] entries, Dot[] dots)
    {
        var clock = new VectorClock(entries);
        if (dots.Length == 0) return clock;
        var pending = dots.Distinct().OrderBy(d => d.Node, StringComparer.Ordinal).ThenBy(d => d.Counter).ToList();
        bool folded;
        do
        {
            folded = false;
            for (var i = pending.Count - 1; i >= 0; i--)
            {
                var dot = pending[i];
                var entry = clock.EntryOf(dot.Node);
                if (entry >= dot.Counter)
                {
                    pending.RemoveAt(i);
                }
                else if (entry + 1 == dot.Counter)
                {
                    clock = clock.With(dot.Node, dot.Counter);
                    pending.RemoveAt(i);
                    folded = true;
                }
            }
        }
        while (folded);
        return pending.Count == 0 ? clock : new VectorClock(clock._entries, [.. pending]);
    }

    /// <summary>This clock with <paramref name="node"/>'s entry raised to at least <paramref name="counter"/>.</summary>
    public VectorClock With(string node, ulong counter)
    {
        var i = IndexOf(node);
        if (i >= 0)
        {
            if (_entries[i].Value >= counter) return this;
            var copy = (KeyValuePair<string, ulong>[])_entries.Clone();
            copy[i] = new(node, counter);
            return _dots.Length == 0 ? new VectorClock(copy) : Normalize(copy, _dots);
        }
        var insertAt = ~i;
        var grown = new KeyValuePair<string, ulong>[_entries.Length + 1];
        Array.Copy(_entries, grown, insertAt);
        grown[insertAt] = new(node, counter);
        Array.Copy(_entries, insertAt, grown, insertAt + 1, _entries.Length - insertAt);
        return _dots.Length == 0 ? new VectorClock(grown) : Normalize(grown, _dots);
    }

    /// <summary>The pointwise maximum, and the union of the dots: a context that has seen everything both have seen.</summary>
    public VectorClock Merge(VectorClock other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var result = new VectorClock(_entries);
        foreach (var (node, counter) in other._entries) result = result.With(node, counter);
        if (_dots.Length == 0 && other._dots.Length == 0) return result;
        return Normalize(result._entries, [.. _dots, .. other._dots]);
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
        writer.WriteVarUInt((ulong)_dots.Length);
        foreach (var dot in _dots)
        {
            writer.WriteString(dot.Node);
            writer.WriteVarUInt(dot.Counter);
        }
    }

    public static VectorClock ReadFrom(ref PayloadReader reader)
    {
        var count = reader.ReadLength(MaxEntries);
        var entries = count == 0 ? [] : new KeyValuePair<string, ulong>[count];
        for (var i = 0; i < count; i++)
        {
            var node = reader.ReadString();
            if (node.Length == 0 || (i > 0 && string.CompareOrdinal(entries[i - 1].Key, node) >= 0))
                throw PayloadReader.Malformed("vector clock entries are not sorted and distinct");
            entries[i] = new(node, reader.ReadVarUInt());
        }
        var dotCount = reader.ReadLength(MaxEntries);
        if (dotCount == 0) return count == 0 ? Empty : new VectorClock(entries);
        var dots = new Dot[dotCount];
        for (var i = 0; i < dotCount; i++)
        {
            var node = reader.ReadString();
            var counter = reader.ReadVarUInt();
            if (node.Length == 0 || counter == 0) throw PayloadReader.Malformed("a context's dot is empty");
            dots[i] = new Dot(node, counter);
        }
        var clock = Normalize(entries, dots);
        if (clock._dots.Length != dotCount) throw PayloadReader.Malformed("a context's dots are not normalized");
        return clock;
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

    public bool Equals(VectorClock? other) =>
        other is not null && CompareTo(other) == ClockOrder.Equal && _dots.AsSpan().SequenceEqual(other._dots);

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
        "{" + string.Join(", ", _entries.Select(e => $"{e.Key}:{e.Value}").Concat(_dots.Select(d => $"+{d}"))) + "}";

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
