using System.Text.Json.Serialization;

namespace Comet.Gateway.Security;

/// <summary>One API key as stored: never its secret, only the secret's hash.</summary>
/// <param name="Id">The key's public id (the middle of <c>ck_&lt;id&gt;_&lt;secret&gt;</c>).</param>
/// <param name="Namespace">The one namespace the key may use.</param>
/// <param name="Hash">SHA-256 (or HMAC-SHA256 with the pepper) of the secret, base64.</param>
/// <param name="CreatedAtMs">Creation time, Unix ms.</param>
/// <param name="RevokedAtMs">Revocation time, Unix ms; 0 while the key is valid.</param>
/// <param name="Name">Optional label given at creation (who or what uses the key).</param>
[GenerateSerializer, Immutable, Alias("comet.api-key")]
public sealed record ApiKeyRecord(
    [property: Id(0)] string Id,
    [property: Id(1)] string Namespace,
    [property: Id(2)] string Hash,
    [property: Id(3)] long CreatedAtMs,
    [property: Id(4)] long RevokedAtMs,
    [property: Id(5)] string? Name)
{
    [JsonIgnore]
    public bool IsRevoked => RevokedAtMs != 0;
}

/// <summary>A newly created key: the only time its full text (with the secret) exists outside the client.</summary>
public sealed record CreatedApiKey(ApiKeyRecord Record, string Key);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ApiKeyRecord))]
internal sealed partial class ApiKeyJson : JsonSerializerContext;
