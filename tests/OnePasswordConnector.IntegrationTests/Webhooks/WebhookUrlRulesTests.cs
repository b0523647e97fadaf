using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.IntegrationTests.Webhooks;

/// <summary>The service under the default SSRF policy: https only, public addresses only.</summary>
public sealed class StrictWebhookApp : ConnectorApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
        [new("BridgeUrlPolicy:AllowHttp", "false"), new("BridgeUrlPolicy:AllowPrivateAddresses", "false"), new("Webhooks:WorkerEnabled", "false")];
}

public sealed class WebhookUrlRulesTests(StrictWebhookApp app) : IClassFixture<StrictWebhookApp>
{
    [Theory]
    [InlineData("http://hooks.example.org/x", "url", "The webhook URL must use https.")]
    [InlineData("https://169.254.169.254/latest/meta-data", "url", "The webhook URL points at an internal address (link-local), which is not allowed.")]
    [InlineData("https://10.0.0.7/hook", "url", "The webhook URL points at an internal address (private), which is not allowed.")]
    [InlineData("https://hooks.example.org/x?token=abc", "url", "The webhook URL must not contain a query string or fragment.")]
    [InlineData("https://user:pw@hooks.example.org/x", "url", "The webhook URL must not contain a user name or password.")]
    [InlineData("", "url", "The webhook URL is required.")]
    public async Task A_webhook_url_gets_the_same_ssrf_rules_as_a_bridge_url(string url, string field, string message)
    {
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        var response = await client.PostAsJsonAsync("/api/v1/tenants/acme/webhooks", new { url, events = new[] { "user.left" } });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Equal([message], errors.GetProperty(field).EnumerateArray().Select(e => e.GetString()));
    }

}
