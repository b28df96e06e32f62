using Comet.Abstractions.Errors;

namespace Comet.Client;

/// <summary>
/// Thrown by <see cref="CometGetResult.Value"/> when a key has concurrent versions (siblings): there is no single value
/// to return. Its code is <see cref="CometErrorCode.Conflict"/>. Resolve by merging <see cref="Versions"/> and putting
/// the merged value with <see cref="Context"/>.
/// </summary>
public sealed class CometSiblingsException : CometException
{
    public CometSiblingsException(string key, IReadOnlyList<CometVersionedValue> versions, string context)
        : base(CometErrorCode.Conflict, MessageOf(key, versions))
    {
        ArgumentNullException.ThrowIfNull(versions);
        Key = key;
        Versions = versions;
        base.Context = context;
    }

    public CometSiblingsException() : this("", [], "") { }

    public CometSiblingsException(string message) : base(CometErrorCode.Conflict, message)
    {
        Key = "";
        Versions = [];
        base.Context = "";
    }

    public CometSiblingsException(string message, Exception innerException) : base(CometErrorCode.Conflict, message, innerException)
    {
        Key = "";
        Versions = [];
        base.Context = "";
    }

    /// <summary>The key read.</summary>
    public string Key { get; }

    /// <summary>The concurrent versions.</summary>
    public IReadOnlyList<CometVersionedValue> Versions { get; }

    /// <summary>The get's causal context: put the merged value with it to resolve the siblings.</summary>
    public new string Context => base.Context ?? "";

    private static string MessageOf(string key, IReadOnlyList<CometVersionedValue> versions) =>
        $"Key '{key}' has {versions?.Count ?? 0} concurrent versions (siblings), so there is no single Value. " +
        "Read result.Versions, merge them, and put the merged value with PutOptions.Context = result.Context to resolve them into one.";
}
