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

/// <summary>Both dashboards of a real 3-silo cluster in chromium; screenshots go to the test output's <c>screenshots/</c>.</summary>
[Collection(AdminClusterCollection.Name)]
public sealed class DashboardBrowserTests(AdminClusterFixture fx, ITestOutputHelper output, ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    private static readonly string Screenshots = Path.Combine(AppContext.BaseDirectory, "screenshots");

    [Fact]
    public async Task Dashboard_in_chromium_shows_the_three_silos_and_inspects_a_keys_replicas()
    {
        var key = AdminClusterFixture.NewKey("dashboard/greeting");
        var version = await fx.PutAsoAsync(key, """
            aso.value = "Hello world!"
            aso.getCount = 0
            function aso:onGet(caller)
              self.getCount = self.getCount + 1
              return {self.value, self.getCount}
            end
            """);
        (await fx.Http.GetAsync(AdminClusterFixture.KeyUrl(fx.Silo(1), key, "r=3"))).Dispose();
        for (var i = 0; i < 20; i++) await fx.PutAsync($"{key}/load/{i}", "x", silo: 0, query: "");

        // The page polls every 2 s; on a loaded 2-core machine give expectations room.
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
        {
            var row = page.Locator($"#cluster-table tbody tr[data-silo='{silo.Settings.SiloId}']");
            await Assertions.Expect(row).ToContainTextAsync("Active");
            await Assertions.Expect(row).ToContainTextAsync($"{silo.Settings.SiloPort} / {silo.Settings.GatewayPort} / {silo.Settings.HttpPort}");
        }
        await Assertions.Expect(page.Locator("#ring-legend > span")).ToHaveCountAsync(3);
        await Assertions.Expect(page.Locator("#m-ops")).Not.ToHaveTextAsync("–");
        await Assertions.Expect(page.Locator("#orleans-link")).ToHaveAttributeAsync("href", "/orleans-dashboard/");

        await page.FillAsync("#inspect-key", key);
        await page.ClickAsync("#inspect-button");
        var replicas = page.Locator("#replicas .replica");
        await Assertions.Expect(replicas).ToHaveCountAsync(3);
        for (var i = 0; i < 3; i++)
        {
            await Assertions.Expect(replicas.Nth(i).Locator(".version-id")).ToHaveTextAsync(version);
            await Assertions.Expect(replicas.Nth(i).Locator("pre.state")).ToContainTextAsync("Hello world!");
            await Assertions.Expect(replicas.Nth(i).Locator("pre.state")).ToContainTextAsync("\"getCount\": 1");
            await Assertions.Expect(replicas.Nth(i).Locator("pre.code")).ToContainTextAsync("function aso:onGet");
            await Assertions.Expect(replicas.Nth(i).Locator(".handler-stats .failures")).ToHaveTextAsync("0");
        }

        var screenshot = await ScreenshotAsync(page, "dashboard.png");
        output.WriteLine($"dashboard screenshot: {screenshot} ({started.Elapsed.TotalSeconds:F1} s in the browser)");
        Assert.Empty(scriptErrors);
    }

    [Fact]
    public async Task Orleans_dashboard_in_chromium_asks_for_the_admin_key_and_shows_the_silos_and_grain_types()
    {
        // Something for the grain list: replica grains of a few keys.
        for (var i = 0; i < 5; i++) await fx.PutAsync(AdminClusterFixture.NewKey("orleans-dashboard"), "x");
        Assertions.SetDefaultExpectTimeout(30_000);

        // Without the key the browser is challenged for credentials (a person is asked; headless chromium has none to give).
        await using (var anonymous = await chromium.Browser.NewContextAsync())
        {
            var anonymousPage = await anonymous.NewPageAsync();
            var refused = await Assert.ThrowsAsync<PlaywrightException>(() => anonymousPage.GotoAsync(fx.Url(0, "/orleans-dashboard/")));
            Assert.Contains("ERR_INVALID_AUTH_CREDENTIALS", refused.Message, StringComparison.Ordinal);
        }

        await using var context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1400, Height = 1000 },
            HttpCredentials = new HttpCredentials { Username = "operator", Password = AdminClusterFixture.AdminKey },
        });
        var page = await context.NewPageAsync();
        var response = await page.GotoAsync(fx.Url(0, "/orleans-dashboard/#/silos"));
        Assert.Equal(200, response!.Status);
        foreach (var silo in fx.Cluster.Silos)
            await Assertions.Expect(page.Locator("body")).ToContainTextAsync($"127.0.0.1:{silo.Settings.SiloPort}");
        await ScreenshotAsync(page, "orleans-dashboard-silos.png");

        await page.GotoAsync(fx.Url(0, "/orleans-dashboard/#/grains"));
        await Assertions.Expect(page.Locator("body")).ToContainTextAsync("ReplicaGrain");
        await ScreenshotAsync(page, "orleans-dashboard-grains.png");
    }

    private async Task<string> ScreenshotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(Screenshots);
        var path = Path.Combine(Screenshots, name);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        Assert.True(new FileInfo(path).Length > 10_000, $"{path} is nearly empty");
        output.WriteLine("screenshot: " + path);
        return path;
    }
}
