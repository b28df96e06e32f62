using System.Text.Json;
using System.Text.Json.Serialization;
using Comet.Abstractions.Errors;
using Comet.Gateway.Rest;
using Microsoft.AspNetCore.Http;

namespace Comet.Admin.Api;

/// <summary>How the admin API writes JSON: camelCase, enums as names, and the REST gateway's error shape.</summary>
public static class AdminJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
    };

    public static IResult Ok<T>(T value) => Results.Json(value, Options);

    /// <summary>An error as every Comet HTTP endpoint answers one: <c>{"error": "&lt;Code&gt;", "message": "..."}</c>.</summary>
    public static IResult Error(CometErrorCode code, string message) =>
        Results.Json(new ErrorAnswer(code.ToString(), message), Options, statusCode: ErrorCodeHttp.StatusOf(code));
}
