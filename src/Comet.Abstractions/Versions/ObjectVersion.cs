using Comet.Abstractions.Protocol;

namespace Comet.Abstractions.Versions;

/// <summary>
/// One version of an object as a dotted version vector: the causal <see cref="Context"/> the
/// write was made with (what the writer had seen) plus the <see cref="Dot"/> of the write itself.
/// A version is superseded once another version's context contains its dot. Plain vector clocks
/// cannot tell two writes coordinated by the same silo from the same stale context apart (both
/// would get clocks where the later counter "contains" the earlier); keeping the dot outside the
/// context does, so those writes become siblings instead of one silently overwriting the other.
/// </summary>
public sealed record ObjectVersion
{
    public ObjectVersion(VectorClock context, Dot dot)
    {
        ArgumentNullException.ThrowIfNull(context);
        Context = context;
        Dot = dot;
    }

    /// <summary>What the writer had seen when it wrote this version.</summary>
    public VectorClock Context { get; }

    /// <summary>The write's own event: coordinator and counter.</summary>
    public Dot Dot { get; }

    /// <summary>The id clients see: the dot, e.g. <c>silo-1:42</c>.</summary>
    public string Id => Dot.ToString();

    /// <summary>Everything this version has seen, itself included: the context a client sends back to overwrite it.</summary>
    public VectorClock CausalClock => Context.WithDot(Dot);

    /// <summary>A new version coordinated by <paramref name="node"/> on top of <paramref name="context"/>.</summary>
    public static ObjectVersion Next(VectorClock context, string node, ulong counter) => new(context, new Dot(node, counter));

    /// <summary>True when this version's writer had seen <paramref name="other"/>.</summary>
    public bool Supersedes(ObjectVersion other) => Dot != other.Dot && Context.Contains(other.Dot);

    public void WriteTo(ref PayloadWriter writer)
    {
        Context.WriteTo(ref writer);
        writer.WriteString(Dot.Node);
        writer.WriteVarUInt(Dot.Counter);
    }

    public static ObjectVersion ReadFrom(ref PayloadReader reader)
    {
        var context = VectorClock.ReadFrom(ref reader);
        var node = reader.ReadString();
        var counter = reader.ReadVarUInt();
        if (node.Length == 0 || counter == 0) throw PayloadReader.Malformed("a version's dot is empty");
        var dot = new Dot(node, counter);
        if (context.Contains(dot)) throw PayloadReader.Malformed("a version's context already contains its own dot");
        return new ObjectVersion(context, dot);
    }

    public override string ToString() => $"{Id} {Context}";
}
