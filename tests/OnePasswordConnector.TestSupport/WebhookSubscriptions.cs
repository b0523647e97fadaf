using System.Net.Http.Json;
using System.Text.Json;
using OnePasswordConnector.Hosting;

namespace OnePasswordConnector.TestSupport;

public static class WebhookSubscriptions
{
    /// <summary>
    /// Subscribes <paramref name="url"/> through the API and returns the id and signing secret. The one answer that
    /// carries the secret is read by a client the response recorder does not see; the secret is then registered with
    /// <see cref="SecretScan"/>, so any other response or log line that shows it fails the fixture.
    /// </summary>
    public static async Task<(Guid Id, string Secret)> SubscribeAsync(
        this ConnectorApp app, string url, string[] events, string tenant = ConnectorApp.Acme)
    {
        using var client = app.CreateDefaultClient();
        client.DefaultRequestHeaders.Add(ApiKeyAuthentication.HeaderName, ConnectorApp.AdminKey);
        var response = await client.PostAsJsonAsync($"/api/v1/tenants/{tenant}/webhooks", new { url, events, description = "test subscriber" });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"Subscribing failed: {(int)response.StatusCode} {body}");
        var created = JsonDocument.Parse(body).RootElement;
        var secret = created.GetProperty("signingSecret").GetString()!;
        SecretScan.Register(secret);
        return (created.GetProperty("id").GetGuid(), secret);
    }
}
