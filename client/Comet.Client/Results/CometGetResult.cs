using Comet.Abstractions.Protocol;

namespace Comet.Client;

/// <summary>
/// The answer to a get: normally one version; several when concurrent writes left siblings (Dynamo), which the
/// application reconciles by putting the merged value with <see cref="Context"/>.
/// </summary>
public sealed class CometGetResult
{
    internal CometGetResult(string key, IReadOnlyList<CometVersionedValue> versions, string context)
    {
        Key = key;
        Versions = versions;
        Context = context;
    }

    /// <summary>The key that was read.</summary>
    public string Key { get; }

    /// <summary>Every live version: one, or several siblings.</summary>
    public IReadOnlyList<CometVersionedValue> Versions { get; }

    /// <summary>
    /// The causal context of everything this get saw. Send it with the next put (<see cref="PutOptions.Context"/>) to
    /// overwrite exactly what was read: with siblings, that put resolves them into one version.
    /// </summary>
    public string Context { get; }

    /// <summary>True when concurrent versions exist; read <see cref="Versions"/>, not <see cref="Value"/>.</summary>
    public bool HasSiblings => Versions.Count > 1;

    /// <summary>The one live version. Throws <see cref="CometSiblingsException"/> when there are siblings.</summary>
    public CometVersionedValue Value => Versions.Count == 1 ? Versions[0] : throw new CometSiblingsException(Key, Versions, Context);

    /// <summary>The one live version's bytes as UTF-8 text (shorthand for <c>Value.AsString()</c>).</summary>
    public string AsString() => Value.AsString();

    /// <summary>True when the one live version is an ASO (its bytes are the JSON of its handler's answer).</summary>
    public bool IsAso => Value.Kind == ObjectKind.Aso;
}
