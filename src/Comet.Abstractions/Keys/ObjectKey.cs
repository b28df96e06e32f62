using System.Text;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Options;

namespace Comet.Abstractions.Keys;

/// <summary>
/// A key scoped by its application namespace (tenant). Construct through <see cref="Create"/>,
/// which rejects what the store cannot hold with <see cref="CometErrorCode.BadKey"/>.
/// </summary>
public readonly record struct ObjectKey
{
    private ObjectKey(string ns, string key, ulong hash)
    {
        Namespace = ns;
        Key = key;
        Hash = hash;
    }

    public string Namespace { get; }

    public string Key { get; }

    /// <summary>The stable 64-bit ring position of (namespace, key): see <see cref="KeyHash"/>.</summary>
    public ulong Hash { get; }

    public static ObjectKey Create(string ns, string key, ObjectLimits? limits = null)
    {
        limits ??= ObjectLimits.Default;
        ValidateNamespace(ns, limits);
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length == 0)
            throw new CometException(CometErrorCode.BadKey, "The key is empty; keys are 1 or more UTF-8 bytes.");
        int bytes;
        try
        {
            bytes = StrictUtf8.GetByteCount(key);
        }
        catch (EncoderFallbackException)
        {
            throw new CometException(CometErrorCode.BadKey, "The key is not valid Unicode (it has an unpaired surrogate); send UTF-8 text.");
        }
        if (bytes > limits.MaxKeyBytes)
            throw new CometException(CometErrorCode.BadKey, $"The key is {bytes} UTF-8 bytes; the limit is {limits.MaxKeyBytes}.");
        return new ObjectKey(ns, key, KeyHash.Of(ns, key));
    }

    /// <summary>Namespaces are DNS-label-like: lower-case letters, digits, '-', '_' and '.', starting with a letter or digit.</summary>
    public static void ValidateNamespace(string ns, ObjectLimits? limits = null)
    {
        limits ??= ObjectLimits.Default;
        ArgumentNullException.ThrowIfNull(ns);
        if (ns.Length == 0 || ns.Length > limits.MaxNamespaceLength)
            throw new CometException(CometErrorCode.BadKey, $"The namespace must be 1..{limits.MaxNamespaceLength} characters.");
        for (var i = 0; i < ns.Length; i++)
        {
            var c = ns[i];
            var ok = c is >= 'a' and <= 'z' or >= '0' and <= '9' || (i > 0 && c is '-' or '_' or '.');
            if (!ok)
                throw new CometException(CometErrorCode.BadKey,
                    $"The namespace '{ns}' has '{c}' at {i}; use lower-case letters, digits, '-', '_' and '.', starting with a letter or digit.");
        }
    }

    public override string ToString() => $"{Namespace}/{Key}";

    internal static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
