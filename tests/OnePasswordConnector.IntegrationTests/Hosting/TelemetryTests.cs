using System.Net;
using Microsoft.Extensions.DependencyInjection;
using OnePasswordConnector.TestSupport;
using OpenTelemetry.Metrics;

namespace OnePasswordConnector.IntegrationTests.Hosting;

/// <summary>The service with OpenTelemetry on and the Prometheus scrape endpoint served.</summary>
public sealed class TelemetryApp : ConnectorApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("Telemetry:Enabled", "true"),
        new("Telemetry:PrometheusEnabled", "true"),
    ];
}

public sealed class TelemetryTests(TelemetryApp app) : IClassFixture<TelemetryApp>
{
    [Fact]
    public async Task Metrics_show_server_and_bridge_requests_and_never_the_bearer_token_or_api_key()
    {
        using var bridge = FakeBridge.Healthy();
        await app.RegisterAsync(bridge);
        using var anonymous = app.ClientWithKey(null);

        var metrics = await ScrapeUntilAsync(anonymous, "http_server_request_duration_seconds", "http_client_request_duration_seconds");

        Assert.Contains("http_route=\"/api/v1/tenants/{tenantId}/connections/\"", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain(bridge.Token, metrics, StringComparison.Ordinal);
        Assert.DoesNotContain(ConnectorApp.AdminKey, metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("Bearer", metrics, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Metrics_show_the_bridge_resilience_meter_once_a_sync_has_talked_to_a_bridge()
    {
        using var bridge = FakeBridge.Healthy();
        var connectionId = await app.RegisterAsync(bridge);
        using var admin = app.ClientWithKey(ConnectorApp.AdminKey);
        await admin.PostAsync($"/api/v1/tenants/{ConnectorApp.Acme}/connections/{connectionId}/syncs", null);
        using var anonymous = app.ClientWithKey(null);

        var metrics = await ScrapeUntilAsync(anonymous, "bridge_policies");

        Assert.DoesNotContain(bridge.Token, metrics, StringComparison.Ordinal);
    }

    /// <summary>Scrapes /metrics anonymously until every expected metric is there (the exporter caches a scrape briefly).</summary>
    private static async Task<string> ScrapeUntilAsync(HttpClient client, params string[] expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var response = await client.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
            var text = await response.Content.ReadAsStringAsync();
            if (expected.All(name => text.Contains(name, StringComparison.Ordinal)))
            {
                return text;
            }

            Assert.True(DateTime.UtcNow < deadline, $"/metrics never showed {string.Join(", ", expected)}:\n{text}");
            await Task.Delay(100);
        }
    }
}

public sealed class TelemetryOffTests(ConnectorApp app) : IClassFixture<ConnectorApp>
{
    [Fact]
    public async Task Telemetry_is_off_by_default_with_no_meter_provider_and_no_metrics_endpoint()
    {
        using var anonymous = app.ClientWithKey(null);

        var response = await anonymous.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Null(app.Services.GetService<MeterProvider>());
    }
}
