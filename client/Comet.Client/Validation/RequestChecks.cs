using System.Text;
using System.Text.Json;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Keys;
using Comet.Abstractions.Options;
using Comet.Abstractions.Protocol;
using Comet.Abstractions.Versions;

namespace Comet.Client.Validation;

/// <summary>
/// Everything about a request the client can check without the network, with the same error codes a silo would
/// answer, so bad input fails at once and never costs a round trip.
/// </summary>
internal static class RequestChecks
{
    /// <summary>N, R and W above this are surely mistakes, refused before sending; silos check the real bounds (their namespaces' N) and say so.</summary>
    public const int MaxQuorumValue = 64;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static void Key(string ns, string key, ObjectLimits limits)
    {
        ArgumentNullException.ThrowIfNull(key);
        _ = ObjectKey.Create(ns, key, limits);
    }

    public static void Value(int length, ObjectLimits limits)
    {
        if (length > limits.MaxValueBytes)
            throw new CometException(CometErrorCode.TooLarge,
                $"The value is {length} bytes; the limit is {limits.MaxValueBytes}. Store large data elsewhere and put a reference to it.");
    }

    public static void Code(string code, ObjectLimits limits)
    {
        ArgumentNullException.ThrowIfNull(code);
        if (string.IsNullOrWhiteSpace(code))
            throw new CometException(CometErrorCode.BadCode, "The ASO's Lua source is empty; send the source of a chunk that fills the 'aso' table.");
        int bytes;
        try
        {
            bytes = StrictUtf8.GetByteCount(code);
        }
        catch (EncoderFallbackException)
        {
            throw new CometException(CometErrorCode.BadCode, "The ASO's Lua source is not valid Unicode (it has an unpaired surrogate).");
        }
        if (bytes > limits.MaxCodeBytes)
            throw new CometException(CometErrorCode.TooLarge, $"The ASO's Lua source is {bytes} bytes; the limit is {limits.MaxCodeBytes}.");
        // Lua bytecode starts with ESC 'Lua'; the store takes source only.
        if (code.Length >= 4 && code[0] == '\u001b' && code.AsSpan(1, 3).SequenceEqual("Lua"))
            throw new CometException(CometErrorCode.BadCode, "The ASO code is Lua bytecode; the store accepts Lua source only.");
    }

    public static QuorumOptions Quorum(int? n, int? r, int? w)
    {
        Range(n, "n", "replicas");
        Range(r, "r", "read quorum");
        Range(w, "w", "write quorum");
        if (n is { } nn)
        {
            if (r > nn) throw new CometException(CometErrorCode.BadRequest, $"r={r} is larger than n={nn}; a read cannot wait for more replicas than the key has.");
            if (w > nn) throw new CometException(CometErrorCode.BadRequest, $"w={w} is larger than n={nn}; a write cannot wait for more replicas than the key has.");
        }
        return new QuorumOptions(n, r, w);
    }

    public static void Ttl(int? ttlSeconds)
    {
        if (ttlSeconds is < 1)
            throw new CometException(CometErrorCode.BadRequest, $"ttl={ttlSeconds}: a lifetime is at least 1 second; leave it unset for the namespace's default.");
    }

    public static void Context(string? context)
    {
        if (context is not null) VectorClock.FromToken(context);
    }

    public static void Version(string? version)
    {
        if (version is not null) Dot.Parse(version);
    }

    /// <summary>The handler arguments as JSON object text: <paramref name="argsJson"/> checked, or <paramref name="args"/> serialised.</summary>
    public static string? Args(object? args, string? argsJson)
    {
        if (args is not null && argsJson is not null)
            throw new CometException(CometErrorCode.BadRequest, "Set Args or ArgsJson, not both.");
        string json;
        if (argsJson is not null)
        {
            json = argsJson;
        }
        else if (args is null)
        {
            return null;
        }
        else
        {
            try
            {
                json = JsonSerializer.Serialize(args, args.GetType(), JsonSerializerOptions.Web);
            }
            catch (Exception ex) when (ex is NotSupportedException or JsonException or InvalidOperationException)
            {
                throw new CometException(CometErrorCode.BadRequest, $"Args of type {args.GetType().Name} cannot be serialised to JSON: {ex.Message}", ex);
            }
        }
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 32 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new CometException(CometErrorCode.BadRequest, $"args must be a JSON object, e.g. {{\"password\":\"...\"}}; got a JSON {document.RootElement.ValueKind.ToString().ToLowerInvariant()}.");
        }
        catch (JsonException ex)
        {
            throw new CometException(CometErrorCode.BadRequest, $"args is not valid JSON: {ex.Message}", ex);
        }
        return json;
    }

    private static void Range(int? value, string name, string what)
    {
        if (value is < 1 or > MaxQuorumValue)
            throw new CometException(CometErrorCode.BadRequest, $"{name}={value}: the {what} must be 1..{MaxQuorumValue}; leave it unset for the namespace's setting.");
    }
}
