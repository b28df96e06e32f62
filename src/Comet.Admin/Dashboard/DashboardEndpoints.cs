using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Comet.Admin.Dashboard;

/// <summary>
/// <c>GET /dashboard</c>: one page of plain HTML, JS and CSS, embedded in this assembly (no
/// framework, no CDN: silos often run where nothing can be fetched). The page itself is public;
/// the data it polls from <c>/admin</c> needs the admin key, which the page asks for.
/// </summary>
public static class DashboardEndpoints
{
    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.Ordinal)
    {
        ["index.html"] = "text/html; charset=utf-8",
        ["app.js"] = "text/javascript; charset=utf-8",
        ["app.css"] = "text/css; charset=utf-8",
    };

    private static readonly Dictionary<string, byte[]> Assets = Load();

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => Results.Redirect("/dashboard")).ExcludeFromDescription();
        app.MapGet("/dashboard", () => Asset("index.html"))
            .WithName("GetDashboard").WithTags("Dashboard").WithSummary("The dashboard page.")
            .Produces<string>(StatusCodes.Status200OK, "text/html");
        app.MapGet("/dashboard/{file}", (string file) => Asset(file)).ExcludeFromDescription();
        return app;
    }

    private static IResult Asset(string file) =>
        Assets.TryGetValue(file, out var bytes)
            ? Results.Bytes(bytes, ContentTypes[file])
            : Api.AdminJson.Error(Abstractions.Errors.CometErrorCode.NotFound, $"The dashboard has no file '{file}'.");

    private static Dictionary<string, byte[]> Load()
    {
        var assembly = Assembly.GetExecutingAssembly();
        var assets = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var file in ContentTypes.Keys)
        {
            using var stream = assembly.GetManifestResourceStream("Comet.Admin.Dashboard." + file)
                ?? throw new InvalidOperationException($"The dashboard asset {file} is not embedded in {assembly.GetName().Name}.");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            assets[file] = copy.ToArray();
        }
        return assets;
    }
}
