using System.Reflection;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Comet.Admin.Dashboard;

/// <summary>
/// <c>GET /dashboard</c>: one page of plain HTML, JS and CSS, embedded in this assembly (no
/// framework, no CDN: silos often run where nothing can be fetched). The page itself is public;
/// the data it polls from <c>/admin</c> needs the admin key, which the page asks for. It links
/// to the Orleans Dashboard when the silo serves one.
/// </summary>
public static class DashboardEndpoints
{
    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.Ordinal)
    {
        ["index.html"] = "text/html; charset=utf-8",
        ["app.js"] = "text/javascript; charset=utf-8",
        ["app.css"] = "text/css; charset=utf-8",
    };

    private const string OrleansDashboardPlaceholder = "{{orleans-dashboard}}";

    private static readonly Dictionary<string, byte[]> Embedded = Load();

    /// <param name="app">The silo's web app.</param>
    /// <param name="orleansDashboardPath">Where the Orleans Dashboard is served, for the page's link; null hides the link.</param>
    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app, string? orleansDashboardPath)
    {
        var assets = new Dictionary<string, byte[]>(Embedded, StringComparer.Ordinal);
        var page = Encoding.UTF8.GetString(assets["index.html"]);
        page = orleansDashboardPath is null
            ? page.Replace("class=\"orleans-link\"", "class=\"orleans-link\" hidden", StringComparison.Ordinal)
            : page.Replace(OrleansDashboardPlaceholder, orleansDashboardPath.TrimEnd('/') + "/", StringComparison.Ordinal);
        assets["index.html"] = Encoding.UTF8.GetBytes(page);

        app.MapGet("/", () => Results.Redirect("/dashboard")).ExcludeFromDescription();
        app.MapGet("/dashboard", () => Asset(assets, "index.html"))
            .WithName("GetDashboard").WithTags("Dashboard").WithSummary("The dashboard page.")
            .Produces<string>(StatusCodes.Status200OK, "text/html");
        app.MapGet("/dashboard/{file}", (string file) => Asset(assets, file)).ExcludeFromDescription();
        return app;
    }

    private static IResult Asset(Dictionary<string, byte[]> assets, string file) =>
        assets.TryGetValue(file, out var bytes)
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
