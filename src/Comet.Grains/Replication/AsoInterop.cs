using System.Buffers;
using System.Text.Json;
using Comet.Abstractions.Errors;
using Comet.Sandbox;

namespace Comet.Grains;

/// <summary>Converts between what travels in messages (JSON, bytes) and what handlers see (AsoValue).</summary>
internal static class AsoInterop
{
    private static readonly AsoValue ValueKey = AsoValue.FromString("value");

    /// <summary>What <c>onUpdate</c> sees as <c>incoming</c> when a delete arrives.</summary>
    public static AsoValue TombstoneTable { get; } = AsoValue.Table((AsoValue.FromString("deleted"), AsoValue.True));

    /// <summary>What <c>onUpdate</c> sees as <c>incoming</c> when a passive value arrives: <c>{value = bytes}</c>.</summary>
    public static AsoValue ValueTable(ReadOnlySpan<byte> value) => AsoValue.Table((ValueKey, AsoValue.FromUtf8(value)));

    public static AsoCaller ToCaller(CallerInfo caller)
    {
        AsoValue? args = null;
        if (caller.ArgsJson is not null)
        {
            try
            {
                using var doc = JsonDocument.Parse(caller.ArgsJson, new JsonDocumentOptions { MaxDepth = 32 });
                args = AsoValue.FromJson(doc.RootElement);
            }
            catch (JsonException ex)
            {
                throw new CometException(CometErrorCode.BadRequest, $"args is not valid JSON: {ex.Message}");
            }
        }
        return new AsoCaller(caller.Ip, caller.Id, caller.Node, args);
    }

    public static byte[] ToJson(AsoValue value)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer)) value.WriteJson(writer);
        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] StateJson(ReadOnlySpan<byte> encodedState) =>
        encodedState.IsEmpty ? "{}"u8.ToArray() : ToJson(AsoStateCodec.Decode(encodedState));

    public static AsoValue FromJson(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        using var doc = JsonDocument.ParseValue(ref reader);
        return AsoValue.FromJson(doc.RootElement);
    }
}
