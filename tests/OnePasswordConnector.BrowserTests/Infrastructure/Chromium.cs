using Microsoft.Playwright;

namespace OnePasswordConnector.BrowserTests.Infrastructure;

/// <summary>
/// Debian's Chromium driven by Playwright's bundled driver. No browser is ever downloaded: scripts/test.sh installs
/// the distribution package where it is missing.
/// </summary>
public sealed class Chromium : IAsyncLifetime
{
    /// <summary>Debian's Chromium, or another Chromium-based browser named by CHROMIUM_PATH (GitHub's runners ship Chrome).</summary>
    public static string ExecutablePath => Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    private IPlaywright? playwright;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException(
                $"The browser tests need Chromium at {ExecutablePath} and it is missing: run scripts/test.sh (it installs " +
                "Debian's chromium package as root), or `apt-get install chromium`.");
        }

        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        playwright?.Dispose();
    }

    /// <summary>Where screenshots go: a folder beside the test assembly, kept as a test artefact.</summary>
    public static string ScreenshotPath(string name)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, name + ".png");
    }
}
