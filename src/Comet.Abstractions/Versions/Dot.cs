using System.Globalization;
using Comet.Abstractions.Errors;

namespace Comet.Abstractions.Versions;

/// <summary>
/// The event that made one version: the coordinating silo and its counter for this key.
/// Written as <c>node:counter</c>; it is the version id clients see (<c>get(key, version)</c>).
/// </summary>
public readonly record struct Dot(string Node, ulong Counter)
{
    public override string ToString() => $"{Node}:{Counter.ToString(CultureInfo.InvariantCulture)}";

    public static Dot Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !ulong.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var counter) || counter == 0)
            throw new CometException(CometErrorCode.BadRequest, $"'{text}' is not a version id; version ids look like 'silo-1:42'.");
        return new Dot(text[..colon], counter);
    }
}
