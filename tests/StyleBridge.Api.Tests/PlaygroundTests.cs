using Microsoft.Playwright;

namespace StyleBridge.Api.Tests;

/// <summary>
/// The playground page in a real headless browser (Debian's chromium, driven by Playwright through its executable
/// path; no browser download) against the real service on a Kestrel port.
/// </summary>
public sealed class PlaygroundTests
{
    private static string ChromiumPath =>
        Environment.GetEnvironmentVariable("STYLEBRIDGE_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    [Fact]
    public async Task The_page_generates_and_inverts_through_the_api()
    {
        Assert.True(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: make test installs Debian's chromium");
        await using var factory = new ServiceFactory();
        factory.UseKestrel(0);
        factory.StartServer();
        using var client = await factory.ReadyClientAsync();
        string address = factory.ClientOptions.BaseAddress.ToString().TrimEnd('/');

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu"],
        });
        var page = await browser.NewPageAsync();
        await page.GotoAsync(address + "/");
        await Assertions.Expect(page.Locator("#model")).ToContainTextAsync("model set");

        await page.FillAsync("#prompt", "a red circle in the center");
        await page.FillAsync("#num-images", "2");
        await page.FillAsync("#num-candidates", "4");
        await page.ClickAsync("#generate");
        var images = page.Locator("#generate-results img");
        await Assertions.Expect(images).ToHaveCountAsync(2, new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("#generate-results figcaption").First).ToContainTextAsync("seed");
        Assert.StartsWith("data:image/png;base64,", await images.First.GetAttributeAsync("src"));

        string png = Path.Combine(Path.GetTempPath(), $"playground-{Guid.NewGuid():N}.png");
        await File.WriteAllBytesAsync(png, Http.SamplePng(3));
        try
        {
            await page.SetInputFilesAsync("#image", png);
            await page.ClickAsync("#invert");
            await Assertions.Expect(page.Locator("#edit-results figcaption")).ToContainTextAsync("PSNR", new() { Timeout = 60_000 });

            // a screenshot of the page with its results, kept as a test artifact
            string shots = Path.Combine(ServiceFactory.RepositoryRoot(), "artifacts", "test-screenshots");
            Directory.CreateDirectory(shots);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "playground.png"), FullPage = true });
            Assert.True(new FileInfo(Path.Combine(shots, "playground.png")).Length > 1000);

            await page.FillAsync("#prompt", "");
            await page.ClickAsync("#generate");
            await Assertions.Expect(page.Locator("#generate-error")).ToContainTextAsync("422", new() { Timeout = 30_000 });
        }
        finally
        {
            File.Delete(png);
        }
    }
}
