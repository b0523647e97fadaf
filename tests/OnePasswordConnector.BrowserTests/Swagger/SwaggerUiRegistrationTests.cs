using System.Text.Json;
using Microsoft.Playwright;
using OnePasswordConnector.BrowserTests.Infrastructure;

namespace OnePasswordConnector.BrowserTests.Swagger;

/// <summary>
/// An admin registers a bridge the way the README tells them to: in Swagger UI, in a real browser, against the
/// service on a real port. Each case saves a screenshot of the page as a test artefact.
/// </summary>
public sealed class SwaggerUiRegistrationTests(SwaggerApp app, Chromium chromium) : IClassFixture<SwaggerApp>, IClassFixture<Chromium>
{
    private const string CreateConnection = "#operations-Connections-CreateConnection";

    [Fact]
    public async Task An_admin_registers_a_bridge_in_swagger_ui_and_sees_201_with_the_token_hint()
    {
        using var bridge = FakeBridge.Healthy();
        var page = await OpenAuthorizedSwaggerAsync();
        try
        {
            var response = await ExecuteCreateConnectionAsync(page, "acme", bridge.Url, bridge.Token);

            await Assertions.Expect(response.Locator(".response-col_status")).ToContainTextAsync("201");
            var body = response.Locator(".response-col_description");
            await Assertions.Expect(body).ToContainTextAsync("\"tokenHint\"");
            await Assertions.Expect(body).ToContainTextAsync("…" + bridge.Token[^4..]);
            Assert.DoesNotContain(bridge.Token, await body.InnerTextAsync(), StringComparison.Ordinal);
        }
        finally
        {
            await SaveScreenshotAsync(page, "create-connection-201");
        }
    }

    [Fact]
    public async Task An_admin_with_a_token_the_bridge_rejects_sees_the_422_problem_in_swagger_ui()
    {
        using var bridge = FakeBridge.Healthy();
        var page = await OpenAuthorizedSwaggerAsync();
        try
        {
            var response = await ExecuteCreateConnectionAsync(page, "acme", bridge.Url, "ops_revoked_" + Guid.NewGuid().ToString("N"));

            await Assertions.Expect(response.Locator(".response-col_status")).ToContainTextAsync("422");
            await Assertions.Expect(response.Locator(".response-col_description")).ToContainTextAsync("rejected the bearer token");
        }
        finally
        {
            await SaveScreenshotAsync(page, "create-connection-422");
        }
    }

    /// <summary>Opens /swagger, clicks Authorize, types the API key, authorizes and closes the dialog.</summary>
    private async Task<IPage> OpenAuthorizedSwaggerAsync()
    {
        var context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = app.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 1600 },
        });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(15_000);

        await page.GotoAsync("/swagger");
        await page.Locator(".auth-wrapper button.authorize").ClickAsync();
        var dialog = page.Locator(".modal-ux");
        await dialog.Locator("input[type=text]").FillAsync(SwaggerApp.AdminKey);
        await dialog.Locator("button.authorize").ClickAsync();
        await Assertions.Expect(dialog).ToContainTextAsync("Authorized");
        await dialog.Locator("button.btn-done").ClickAsync();
        await Assertions.Expect(dialog).ToHaveCountAsync(0);
        return page;
    }

    /// <summary>Expands CreateConnection, fills the tenant and the request body, executes, and returns the live response.</summary>
    private static async Task<ILocator> ExecuteCreateConnectionAsync(IPage page, string tenantId, string bridgeUrl, string bearerToken)
    {
        var operation = page.Locator(CreateConnection);
        await operation.Locator(".opblock-summary").First.ClickAsync();

        // EnableTryItOutByDefault usually opens the operation editable already; click "Try it out" only when it is not.
        var tryOut = operation.Locator("button.try-out__btn");
        if (await tryOut.CountAsync() > 0 && (await tryOut.InnerTextAsync()).Contains("Try it out", StringComparison.Ordinal))
        {
            await tryOut.ClickAsync();
        }

        await operation.Locator("tr[data-param-name='tenantId'] input").FillAsync(tenantId);
        var body = JsonSerializer.Serialize(new
        {
            name = "Acme production",
            scimBridgeUrl = bridgeUrl,
            bearerToken,
            syncIntervalMinutes = 60,
        });
        await operation.Locator("textarea.body-param__text").FillAsync(body);
        await operation.Locator("button.execute").ClickAsync();

        var response = operation.Locator(".live-responses-table .response").First;
        await Assertions.Expect(response).ToBeVisibleAsync();
        return response;
    }

    /// <summary>The file name is the case's name, never anything typed into the page (a token must not reach it).</summary>
    private static async Task SaveScreenshotAsync(IPage page, string name)
    {
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Chromium.ScreenshotPath(name), FullPage = true });
        await page.Context.CloseAsync();
    }
}
