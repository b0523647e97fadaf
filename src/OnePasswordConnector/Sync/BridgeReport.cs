using System.Text.Json;
using OnePasswordConnector.Persistence;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Sync;

/// <summary>What a sync learns about the bridge, recorded as the run's provisioning report however the run ends.</summary>
internal static class BridgeReport
{
    public static ProvisioningReport Running() => new() { Verdict = "running" };

    /// <summary>What the bridge says about itself: capabilities and, on a 1Password bridge, version and health.</summary>
    public static async Task ReadAsync(ProvisioningReport report, ScimClient client, BridgeEndpoint bridge, CancellationToken cancellationToken)
    {
        using (var config = await client.GetJsonAsync(bridge, bridge.Resolve("ServiceProviderConfig"), cancellationToken))
        {
            report.Reachable = true;
            report.TokenAccepted = true;
            report.ServiceProviderConfig = config.RootElement.GetRawText();
        }

        try
        {
            using var health = await client.GetJsonAsync(bridge, new Uri(bridge.Origin, "/health"), cancellationToken);
            if (health.RootElement.ValueKind == JsonValueKind.Object)
            {
                report.BridgeVersion = ScimJson.String(health.RootElement, "version");
                report.BridgeBuild = ScimJson.String(health.RootElement, "build");
                report.HealthReports = health.RootElement.GetRawText();
            }
        }
        catch (BridgeException ex) when (ex.Failure is not BridgeFailure.Unauthorized)
        {
            // Not every SCIM server has /health; its absence is not a failed sync.
        }
    }
}
