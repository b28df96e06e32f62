using Comet.Abstractions.Protocol;

namespace Comet.Grid.Messaging;

/// <summary>Who made a request, as an ASO's <c>caller</c> table sees it: ip, client id, the silo it came from (neighbour calls), and args.</summary>
public sealed record CallerInfo(string? Ip, string? Id, string? Node, string? ArgsJson)
{
    public static CallerInfo Internal(string node) => new(null, null, node, null);

    public void WriteTo(ref PayloadWriter w)
    {
        w.WriteNullableString(Ip);
        w.WriteNullableString(Id);
        w.WriteNullableString(Node);
        w.WriteNullableString(ArgsJson);
    }

    public static CallerInfo ReadFrom(ref PayloadReader r) =>
        new(r.ReadNullableString(), r.ReadNullableString(), r.ReadNullableString(), r.ReadNullableString());
}
