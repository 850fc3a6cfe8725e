using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ByteFormer.Tests.Serve;

/// <summary>
/// The page at / in a real headless browser: Debian's chromium (scripts/setup.sh installs it), driven by Playwright,
/// which never downloads a browser of its own. A missing chromium fails the test with what to do; it is never skipped.
/// Set BYTEFORMER_SCREENSHOT=PATH to keep the screenshot (docs/serve-page.png is one).
/// </summary>
[Collection(ServeCollection.Name)]
public class ServePageBrowserTests(ServeFixture fx)
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task Uploading_bundled_samples_shows_each_files_class_its_bars_its_note_and_errors_per_file()
    {
        Assert.True(File.Exists(Chromium),
            $"the browser test needs Debian's chromium at {Chromium}: run 'sudo bash scripts/setup.sh' (it installs the package 'chromium')");
        using var dir = new Cli.TempDir();
        File.WriteAllBytes(dir.File("empty.tiff"), []);

        SetDefaultExpectTimeout(30_000);                       // a busy CI machine: waiting is cheap, a flaky failure is not
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            // CI runs as root (no sandbox there); the rest keeps chromium off the network this machine does not have.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 900, Height = 1200 } });
        var problems = new List<string>();
        // The empty file's 400 is logged by chromium as a failed load: expected. Anything else (a CSP refusal, a script error) is not.
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && !message.Text.Contains("status of 400")) problems.Add(message.Text);
        };
        page.PageError += (_, error) => problems.Add(error);
        page.RequestFailed += (_, request) => problems.Add($"{request.Url}: {request.Failure}");

        await page.GotoAsync(fx.Service.Address.ToString());
        await Expect(page.Locator("#model")).ToBeEnabledAsync();
        await Expect(page.Locator("#model-info")).ToContainTextAsync("10 classes");

        // Choose files: an image of the model's encoding, one it never saw, and an empty one.
        await page.Locator("#files").SetInputFilesAsync([Repo.Sample("images/tiff/bag.tiff"), Repo.Sample("images/png/sandal.png"), dir.File("empty.tiff")]);
        var bag = page.Locator(".result[data-file='bag.tiff']");
        await Expect(bag).ToHaveAttributeAsync("data-state", "done");
        await Expect(bag.Locator(".label")).ToHaveTextAsync("bag");
        await Expect(bag.Locator(".bar")).ToHaveCountAsync(5);
        await Expect(bag.Locator(".bars .class").First).ToHaveTextAsync("bag");
        var png = page.Locator(".result[data-file='sandal.png']");
        await Expect(png).ToHaveAttributeAsync("data-state", "done");
        await Expect(png.Locator(".note")).ToContainTextAsync("a PNG file, a format the model never saw");
        var empty = page.Locator(".result[data-file='empty.tiff']");
        await Expect(empty).ToHaveAttributeAsync("data-state", "error");
        await Expect(empty.Locator(".error")).ToContainTextAsync("empty");

        // Drop a file on the drop zone, as a user drags one from a file manager.
        var coat = await File.ReadAllBytesAsync(Repo.Sample("images/tiff/coat.tiff"));
        await page.EvaluateAsync(@"bytes => {
            const data = new DataTransfer();
            data.items.add(new File([new Uint8Array(bytes)], 'coat.tiff', { type: 'image/tiff' }));
            document.getElementById('drop').dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
        }", coat.Select(b => (int)b).ToArray());
        await Expect(page.Locator(".result[data-file='coat.tiff'] .label")).ToHaveTextAsync("coat");

        // Audio, with the keyword model: the page shows what the API answers for the clip.
        var expected = (await ServeFixture.JsonAsync(await fx.PostRawAsync("keywords-wav-int16-8k", File.ReadAllBytes(Repo.Sample("speech/yes.wav"))),
            HttpStatusCode.OK))["files"]![0]!["label"]!.GetValue<string>();
        await page.Locator("#model").SelectOptionAsync("keywords-wav-int16-8k");
        await Expect(page.Locator("#model-info")).ToContainTextAsync("12 classes");
        await page.Locator("#files").SetInputFilesAsync(Repo.Sample("speech/yes.wav"));
        var clip = page.Locator(".result[data-file='yes.wav']");
        await Expect(clip).ToHaveAttributeAsync("data-state", "done");
        await Expect(clip.Locator(".label")).ToHaveTextAsync(expected);
        await Expect(page.Locator("#status")).ToHaveTextAsync(new Regex("1 file classified with keywords-wav-int16-8k"));

        var shot = Environment.GetEnvironmentVariable("BYTEFORMER_SCREENSHOT") is { Length: > 0 } path ? path : dir.File("serve-page.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = true });
        Assert.True(new FileInfo(shot).Length > 10_000, "the screenshot is empty");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }
}
