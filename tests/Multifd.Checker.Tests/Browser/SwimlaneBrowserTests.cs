using Microsoft.Playwright;
using Multifd.Checker.Tests.Cli;
using Xunit.Abstractions;

namespace Multifd.Checker.Tests.Browser;

/// <summary>
/// `show --format html` in a real browser: Debian's chromium driven by Playwright through its executable path (Playwright's
/// own browser download is not used). The page must show its lanes, lock bars, queue plot, message arrows and the
/// highlighted violation, answer a hover with the event's QEMU trace line, and log no console error. A screenshot of each
/// page is saved under the test output (screenshots/). Where chromium is missing the tests are skipped, saying how to
/// install it (.ci/run installs it).
/// </summary>
[Collection(BugBundleCollection.Name)]
public sealed class SwimlaneBrowserTests(BugBundleFixture fixture, ITestOutputHelper output)
{
    public const string Chromium = "/usr/bin/chromium";

    private static string Screenshots => Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "screenshots")).FullName;

    [SkippableFact]
    public async Task TheFixtureBundleShowsLanesLocksArrowsQueuesAndTheViolation()
    {
        var page = await Open(fixture.Bundle, "final-sync-strands-recv");
        await ExpectVisible(page, ".lane-label", ".lock-bar rect", ".msg", ".queue-plot .queue-line", ".violation-step", ".wait");
        Assert.Equal(11, await page.Locator(".lane-label").CountAsync()); // source: main (qmp_migrate), mig, save x2, send x2; destination: recv x2, main, load x2
        Assert.Equal(["Source QEMU", "Destination QEMU"], await page.Locator(".group-label").AllTextContentsAsync());
        Assert.StartsWith("P10 NoHang: hang: destination:", await page.Locator("#failure").TextContentAsync());
        Assert.True(await page.Locator(".lock-bql").CountAsync() > 0);
        Assert.True(await page.Locator(".lock-load-bufs-mutex").CountAsync() > 0);
        Assert.Equal(4, await page.Locator(".queue-plot").CountAsync()); // buffers and bytes of dev0 and dev1

        // Hover an event: the details line is its QEMU trace line (trace-event name and arguments, as `show` prints it).
        var mark = page.Locator(".ev").Filter(new() { HasTextRegex = new System.Text.RegularExpressions.Regex(@"vfio_load_state_device_buffer_starved +\(dev0\)") }).First;
        await mark.HoverAsync();
        var line = await page.Locator("#details").TextContentAsync();
        Assert.Matches(@"^step \d+ · destination load\[dev0\] · vfio_load_state_device_buffer_starved +\(dev0\) idx \d+$", line);
        await mark.ClickAsync();
        Assert.Equal(1, await page.Locator(".ev.pinned").CountAsync());
        Assert.Equal(line, await page.Locator("#details").TextContentAsync());
        await Finish(page, "final-sync-strands-recv");
    }

    [SkippableFact]
    public async Task TheCuratedGapBundleShowsItsHang()
    {
        var page = await Open(Curated("gap-recv-failure-after-eof-check-correct-1"), "gap-recv-failure-after-eof-check");
        await ExpectVisible(page, ".lane-label", ".lock-bar rect", ".queue-plot .queue-line", ".violation-step", ".wait-cond");
        Assert.Contains("load[dev0]", await page.Locator(".lane-label").AllTextContentsAsync());
        Assert.Contains("qemu_cond_wait dev0.load_bufs_buffer_ready_cond", await page.Locator("#failure").TextContentAsync());
        await Finish(page, "gap-recv-failure-after-eof-check");
    }

    [SkippableFact]
    public async Task AQueueLimitIsDrawnAsALine()
    {
        var page = await Open(Curated("tight-byte-limit-correct-6"), "tight-byte-limit");
        await ExpectVisible(page, ".limit-line", ".queue-plot .queue-line", ".violation-step");
        Assert.Contains("x-migration-max-queued-buffers-size", string.Join(" ", await page.Locator(".limit-label").AllTextContentsAsync()));
        await Finish(page, "tight-byte-limit");
    }

    private readonly List<string> consoleErrors = [];
    private IPlaywright? playwright;
    private IBrowserContext? browser;
    private string? profile;

    private static string Curated(string name) => Path.Combine(CliProcess.Repository, "traces", name);

    private async Task<IPage> Open(string bundle, string name)
    {
        var missing = $"{Chromium} is not installed: the swimlane page needs a real browser (install it with: apt-get install -y chromium; .ci/run does)";
        // CI (.ci/run) installs chromium and sets MULTIFD_REQUIRE_BROWSER: there a missing browser fails instead of skipping.
        Assert.False(!File.Exists(Chromium) && Environment.GetEnvironmentVariable("MULTIFD_REQUIRE_BROWSER") == "1", missing);
        Skip.IfNot(File.Exists(Chromium), missing);
        var show = CliRunner.Run("show", bundle, "--format", "html");
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.DoesNotContain("http://", show.Out.Replace("http://www.w3.org/2000/svg", "", StringComparison.Ordinal));
        Assert.DoesNotContain("https://", show.Out);
        var html = Path.Combine(Screenshots, name + ".html");
        await File.WriteAllTextAsync(html, show.Out);

        playwright = await Playwright.CreateAsync();
        profile = Directory.CreateTempSubdirectory("multifd-chromium-").FullName;
        browser = await playwright.Chromium.LaunchPersistentContextAsync(profile, new BrowserTypeLaunchPersistentContextOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
            ViewportSize = new ViewportSize { Width = 1400, Height = 900 },
        });
        var page = browser.Pages.Count > 0 ? browser.Pages[0] : await browser.NewPageAsync();
        page.Console += (_, m) =>
        {
            if (m.Type == "error")
            {
                consoleErrors.Add(m.Text);
            }
        };
        page.PageError += (_, e) => consoleErrors.Add(e);
        // Nothing may be fetched: the page is one self-contained file.
        await page.RouteAsync("**/*", route => route.Request.Url.StartsWith("file://", StringComparison.Ordinal) ? route.ContinueAsync() : route.AbortAsync());
        await page.GotoAsync(new Uri(html).AbsoluteUri);
        await page.Locator("#render-info").Filter(new() { HasTextRegex = new System.Text.RegularExpressions.Regex("drawn in") }).WaitForAsync();
        return page;
    }

    private static async Task ExpectVisible(IPage page, params string[] selectors)
    {
        foreach (var selector in selectors)
        {
            Assert.True(await page.Locator(selector).CountAsync() > 0, $"no {selector} on the page");
            Assert.True(await page.Locator(selector).First.IsVisibleAsync(), $"{selector} is not visible");
        }
    }

    private async Task Finish(IPage page, string name)
    {
        var png = Path.Combine(Screenshots, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = png, FullPage = true });
        output.WriteLine($"screenshot: {png}; render {await page.Locator("html").GetAttributeAsync("data-render-ms")} ms");
        Assert.Empty(consoleErrors);
        await browser!.CloseAsync();
        playwright!.Dispose();
        Directory.Delete(profile!, recursive: true);
    }
}
