namespace Comet.Admin.OpenApi;

/// <summary>Endpoint metadata: a query parameter the handler reads itself, for the OpenAPI document.</summary>
public sealed record QueryParameter(string Name, string Type, string Description);
