using System.Diagnostics;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Comet.Admin.Tests;

/// <summary>Starts Playwright's driver once for the browser tests (0.5–0.8 s) and Debian's chromium.</summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    /// <summary>Debian's chromium (.ci/chromium.sh installs it); Playwright's own browser download is not used.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"{ChromiumPath} is missing: run .ci/chromium.sh (apt-get install chromium).");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
    }
}

[Collection(AdminClusterCollection.Name)]
public sealed class DashboardBrowserTests(AdminClusterFixture fx, ITestOutputHelper output, ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{

    [Fact]
    public async Task Dashboard_in_chromium_shows_three_silos_and_a_keys_replicas()
    {
        var version = await fx.PutAsoAsync("dashboard/greeting", """
            aso.value = "Hello world!"
            aso.getCount = 0
            function aso:onGet(caller)
              self.getCount = self.getCount + 1
              return {self.value, self.getCount}
            end
            """);
        (await fx.Http.GetAsync(AdminClusterFixture.KeyUrl(fx.Cluster.Silos[1], "dashboard/greeting", "r=3"))).Dispose();
        for (var i = 0; i < 20; i++) await fx.PutAsync($"dashboard/load/{i}", "x", silo: 0, query: "");

        // The page polls every 2 s; on a loaded 2-core CI machine give expectations room.
        Assertions.SetDefaultExpectTimeout(20_000);
        var started = Stopwatch.StartNew();
        await using var context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1100 } });
        var page = await context.NewPageAsync();
        // Script errors only: the first polls' 401s (before the key is entered) are logged as console errors on purpose.
        var scriptErrors = new List<string>();
        page.PageError += (_, error) => scriptErrors.Add(error);

        await page.GotoAsync(fx.Url(0, "/dashboard"));
        // The cluster has an admin key: without it the page says so, with it the data comes.
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("admin key needed");
        await page.FillAsync("#admin-key", AdminClusterFixture.AdminKey);
        await page.ClickAsync("#key-form button");

        await Assertions.Expect(page.Locator("#silo-count")).ToHaveTextAsync("3");
        await Assertions.Expect(page.Locator("#cluster-table tbody tr[data-live=true]")).ToHaveCountAsync(3);
        foreach (var silo in fx.Cluster.Silos)
            await Assertions.Expect(page.Locator($"#cluster-table tbody tr[data-silo='{silo.Id}']")).ToContainTextAsync("Active");
        await Assertions.Expect(page.Locator("#ring-legend > span")).ToHaveCountAsync(3);

        await page.FillAsync("#inspect-key", "dashboard/greeting");
        await page.ClickAsync("#inspect-button");
        var replicas = page.Locator("#replicas .replica");
        await Assertions.Expect(replicas).ToHaveCountAsync(3);
        for (var i = 0; i < 3; i++)
        {
            await Assertions.Expect(replicas.Nth(i).Locator(".version-id")).ToHaveTextAsync(version);
            await Assertions.Expect(replicas.Nth(i).Locator("pre.state")).ToContainTextAsync("Hello world!");
            // The put (no onPut: a call that does nothing) and the r=3 get's onGet, at every replica.
            await Assertions.Expect(replicas.Nth(i).Locator(".handler-stats .calls")).ToHaveTextAsync("2");
        }
        await Assertions.Expect(page.Locator("#m-ops")).Not.ToHaveTextAsync("–");

        var screenshot = Path.Combine(RepoRoot(), ".ci", "artifacts", "dashboard.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        output.WriteLine($"dashboard screenshot: {screenshot} ({started.Elapsed.TotalSeconds:F1} s in the browser)");
        Assert.True(new FileInfo(screenshot).Length > 10_000);
        Assert.Empty(scriptErrors);
    }

    /// <summary>The repository root (where CometGrains.sln is), so the artifact lands in .ci/artifacts.</summary>
    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CometGrains.sln"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }
}
