using System.Globalization;
using Comet.Abstractions.Errors;

namespace Comet.Grains;

/// <summary>
/// The identity of one replica grain: <c>{namespace}/{key}#{replica}</c>. Replica <c>r</c> of a
/// key lives on position <c>r</c> of the key's walk around the ring (its preference list, then
/// its spares), so the replica index is the grain's place, not a silo name: when the ring
/// changes, the grain moves and its persisted state goes with it.
/// </summary>
public static class ReplicaGrainKey
{
    public static string Format(string ns, string key, int replica) =>
        string.Create(CultureInfo.InvariantCulture, $"{ns}/{key}#{replica}");

    /// <summary>Namespaces never hold '/', and the replica index is after the last '#'.</summary>
    public static (string Namespace, string Key, int Replica) Parse(string grainKey)
    {
        ArgumentNullException.ThrowIfNull(grainKey);
        var slash = grainKey.IndexOf('/', StringComparison.Ordinal);
        var hash = grainKey.LastIndexOf('#');
        if (slash <= 0 || hash <= slash + 1
            || !int.TryParse(grainKey.AsSpan(hash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var replica))
            throw new CometException(CometErrorCode.BadKey, $"'{grainKey}' is not a replica grain key (namespace/key#replica).");
        return (grainKey[..slash], grainKey[(slash + 1)..hash], replica);
    }
}
