using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using Comet.Admin.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;

namespace Comet.Admin.OpenApi;

/// <summary>
/// <c>GET /openapi/v1.json</c>: an OpenAPI 3.1 document built from the silo's routes as they are
/// mapped (summaries, tags, path and query parameters, response types, whose schemas come from
/// <see cref="JsonSchemaExporter"/>), so endpoints added later appear without further work.
/// Kept hand-built (no Microsoft.AspNetCore.OpenApi): it needs no services, and it describes every
/// route the silo maps, the REST gateway's and the Orleans Dashboard's included, as they are.
/// </summary>
public static class OpenApiDocument
{
    public const string Path = "/openapi/v1.json";

    public static IEndpointRouteBuilder MapOpenApiDocument(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet(Path, () => Results.Text(Build(app).ToJsonString(new JsonSerializerOptions { WriteIndented = true }), "application/json"))
            .WithName("GetOpenApiDocument").WithTags("Meta")
            .WithSummary("This document.")
            .ExcludeFromDescription();
        return app;
    }

    public static JsonObject Build(IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var schemas = new JsonObject();
        var paths = new JsonObject();
        var endpoints = app.DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true })
            .OrderBy(e => e.RoutePattern.RawText, StringComparer.Ordinal);
        foreach (var endpoint in endpoints)
        {
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            var path = PathOf(endpoint.RoutePattern);
            if (paths[path] is not JsonObject item)
            {
                item = new JsonObject();
                paths[path] = item;
            }
            foreach (var method in methods) item[method.ToLowerInvariant()] = Operation(endpoint, schemas);
        }
        return new JsonObject
        {
            ["openapi"] = "3.1.0",
            ["info"] = new JsonObject
            {
                ["title"] = "CometGrains silo",
                ["version"] = "v1",
                ["description"] = "The REST gateway (/v1) and the admin API (/admin) of a CometGrains silo. Admin endpoints need the admin key.",
            },
            ["paths"] = paths,
            ["components"] = new JsonObject
            {
                ["schemas"] = schemas,
                ["securitySchemes"] = new JsonObject
                {
                    ["adminKey"] = new JsonObject { ["type"] = "apiKey", ["in"] = "header", ["name"] = AdminKeyGuard.HeaderName },
                    ["adminBearer"] = new JsonObject { ["type"] = "http", ["scheme"] = "bearer" },
                },
            },
        };
    }

    /// <summary>"/admin/keys/{ns}/{**key}" → "/admin/keys/{ns}/{key}".</summary>
    private static string PathOf(RoutePattern pattern)
    {
        var segments = pattern.PathSegments.Select(s => string.Concat(s.Parts.Select(p => p switch
        {
            RoutePatternLiteralPart l => l.Content,
            RoutePatternParameterPart param => "{" + param.Name + "}",
            RoutePatternSeparatorPart sep => sep.Content,
            _ => "",
        })));
        return "/" + string.Join('/', segments);
    }

    private static JsonObject Operation(RouteEndpoint endpoint, JsonObject schemas)
    {
        var meta = endpoint.Metadata;
        var op = new JsonObject();
        if (meta.GetMetadata<IEndpointNameMetadata>() is { } name) op["operationId"] = name.EndpointName;
        if (meta.GetMetadata<ITagsMetadata>() is { } tags) op["tags"] = new JsonArray([.. tags.Tags.Select(t => (JsonNode)t)]);
        if (meta.GetMetadata<IEndpointSummaryMetadata>() is { } summary) op["summary"] = summary.Summary;
        if (meta.GetMetadata<IEndpointDescriptionMetadata>() is { } description) op["description"] = description.Description;

        var parameters = new JsonArray();
        foreach (var p in endpoint.RoutePattern.Parameters)
            parameters.Add(new JsonObject { ["name"] = p.Name, ["in"] = "path", ["required"] = true, ["schema"] = new JsonObject { ["type"] = "string" } });
        foreach (var q in meta.GetOrderedMetadata<QueryParameter>())
            parameters.Add(new JsonObject { ["name"] = q.Name, ["in"] = "query", ["required"] = false, ["description"] = q.Description, ["schema"] = new JsonObject { ["type"] = q.Type } });
        if (parameters.Count > 0) op["parameters"] = parameters;

        var responses = new JsonObject();
        foreach (var produces in meta.GetOrderedMetadata<IProducesResponseTypeMetadata>())
        {
            var content = new JsonObject();
            var types = produces.ContentTypes.Any() ? produces.ContentTypes : ["application/json"];
            if (produces.Type is { } type && type != typeof(void))
                foreach (var contentType in types) content[contentType] = new JsonObject { ["schema"] = SchemaRef(type, schemas) };
            var response = new JsonObject { ["description"] = Description(produces.StatusCode) };
            if (content.Count > 0) response["content"] = content;
            responses[produces.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture)] = response;
        }
        var guarded = AdminKeyGuard.IsAdminPath(new PathString(PathOf(endpoint.RoutePattern)));
        if (guarded)
        {
            responses["401"] ??= new JsonObject
            {
                ["description"] = "No admin key, or a wrong one.",
                ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = SchemaRef(typeof(Gateway.Rest.ErrorAnswer), schemas) } },
            };
            op["security"] = new JsonArray(new JsonObject { ["adminKey"] = new JsonArray() }, new JsonObject { ["adminBearer"] = new JsonArray() });
        }
        if (responses.Count == 0) responses["200"] = new JsonObject { ["description"] = "OK" };
        op["responses"] = responses;
        return op;
    }

    private static JsonNode SchemaRef(Type type, JsonObject schemas)
    {
        if (type == typeof(string)) return new JsonObject { ["type"] = "string" };
        var name = type.Name;
        if (!schemas.ContainsKey(name))
        {
            schemas[name] = new JsonObject(); // placeholder against recursion
            schemas[name] = AdminJson.Options.GetJsonSchemaAsNode(type, new JsonSchemaExporterOptions { TreatNullObliviousAsNonNullable = true });
        }
        return new JsonObject { ["$ref"] = "#/components/schemas/" + name };
    }

    private static string Description(int status) => status switch
    {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No content",
        400 => "Bad input",
        401 => "No admin key, or a wrong one",
        404 => "Not found",
        409 => "Conflict",
        503 => "Unavailable",
        _ => "Status " + status.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
