namespace Comet.Grains;

/// <summary>
/// Who made a request, as an ASO's <c>caller</c> table sees it: ip, client or API key id, the
/// silo it came from (neighbour calls from another replica's handler), and the request's args.
/// </summary>
[GenerateSerializer, Immutable, Alias("comet.caller")]
public sealed record CallerInfo(
    [property: Id(0)] string? Ip,
    [property: Id(1)] string? Id,
    [property: Id(2)] string? Node,
    [property: Id(3)] string? ArgsJson)
{
    /// <summary>A request made by the store itself from <paramref name="node"/> (repair, neighbour calls).</summary>
    public static CallerInfo Internal(string node) => new(null, null, node, null);
}
