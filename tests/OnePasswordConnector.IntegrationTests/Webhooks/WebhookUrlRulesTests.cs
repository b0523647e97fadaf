using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OnePasswordConnector.Persistence;
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

    /// <summary>
    /// A name passes the URL check (it is no address) but is resolved again when a delivery connects: one that resolves
    /// to loopback is refused there, so nothing reaches the listener behind it.
    /// </summary>
    [Fact]
    public async Task A_delivery_to_a_name_that_resolves_to_an_internal_address_is_refused_when_it_connects()
    {
        using var listener = new WebhookSubscriber();
        var port = new Uri(listener.Url).Port;
        var (webhook, _) = await app.SubscribeAsync($"https://localhost:{port}/hook", ["connection.stale"], "ssrf");

        // A connection registered a day ago that never synced: connection.stale is due. (Registering through the API
        // would probe the bridge, which this policy refuses on loopback.)
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<ConnectorDbContext>();
            var registered = DateTimeOffset.UtcNow.AddDays(-1);
            db.Connections.Add(new Connection
            {
                Id = Guid.CreateVersion7(),
                TenantId = "ssrf",
                Name = "Never synced",
                ScimBaseUrl = "https://bridge.example.org/scim",
                ProtectedToken = "not-a-token",
                TokenHint = "…",
                SyncIntervalMinutes = 60,
                CreatedAt = registered,
                UpdatedAt = registered,
            });
            await db.SaveChangesAsync();
        }

        await app.Worker().RunOnceAsync(CancellationToken.None);

        Assert.Empty(listener.Server.LogEntries);
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        var delivery = Assert.Single((await client.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/ssrf/webhooks/{webhook}/deliveries")).EnumerateArray());
        Assert.Equal("pending", delivery.GetProperty("status").GetString());
        var attempt = Assert.Single(delivery.GetProperty("attempts").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, attempt.GetProperty("statusCode").ValueKind);
        Assert.Equal("the endpoint's host resolves to an address the SSRF policy does not allow", attempt.GetProperty("error").GetString());
    }
}
