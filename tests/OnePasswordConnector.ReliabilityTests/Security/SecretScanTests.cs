using System.Net.Http.Json;
using System.Text.Json;
using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.ReliabilityTests.Security;

public sealed class SecretScanTests(SeededApp app) : IClassFixture<SeededApp>
{
    [Fact]
    public void The_scan_finds_a_registered_secret_wherever_it_appears()
    {
        var token = "planted-" + Guid.NewGuid().ToString("N");
        SecretScan.Register(token);

        var hits = SecretScan.Find(["nothing here", $"Authorization: Bearer {token}", $"{{\"detail\":\"{token}\"}}"], "a planted text");

        Assert.Equal(2, hits.Count);
        Assert.All(hits, hit => Assert.DoesNotContain(token, hit, StringComparison.Ordinal));
    }

    /// <summary>
    /// The seeded webhook's secret is registered with the scan (so the fixture fails if any answer or log line shows
    /// it); a rotated one is checked here against every webhook answer, the log and every column of the database.
    /// </summary>
    [Fact]
    public async Task A_webhook_signing_secret_is_shown_only_by_the_answer_that_makes_it()
    {
        using var client = app.ClientWithKey(ConnectorApp.AdminKey);
        var webhook = $"/api/v1/tenants/acme/webhooks/{app.WebhookId}";
        var rotated = await (await client.PostAsync(webhook + "/secret", null)).Content.ReadFromJsonAsync<JsonElement>();
        var secret = rotated.GetProperty("signingSecret").GetString()!;

        var answers = new List<string>();
        foreach (var url in new[] { "/api/v1/tenants/acme/webhooks", webhook, webhook + "/deliveries" })
        {
            answers.Add(await client.GetStringAsync(url));
        }

        answers.Add(await (await client.PatchAsJsonAsync(webhook, new { description = "scanned" })).Content.ReadAsStringAsync());
        answers.Add(await (await client.PostAsync($"{webhook}/deliveries/{app.DeliveryId}/redeliver", null)).Content.ReadAsStringAsync());
        var dump = await app.DumpDatabaseAsync();
        foreach (var shown in new[] { secret, app.WebhookSecret })
        {
            var key = shown["whsec_".Length..];
            Assert.All(answers, answer => Assert.DoesNotContain(key, answer, StringComparison.Ordinal));
            Assert.DoesNotContain(key, dump, StringComparison.Ordinal);
            Assert.DoesNotContain(app.Logs.Lines, line => line.Contains(key, StringComparison.Ordinal));
        }
    }
}
