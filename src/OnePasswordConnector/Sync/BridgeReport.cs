using System.Text.Json;
using OnePasswordConnector.Persistence;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Sync;

/// <summary>What a sync learns about the bridge, recorded as the run's provisioning report however the run ends.</summary>
internal static class BridgeReport
{
    public static ProvisioningReport Running() => new() { Verdict = "running" };

    /// <summary>
    /// What the bridge says about itself: capabilities and, on a 1Password bridge, version and health. Both are asked
    /// at once (when the run may send two requests at once), since a run waits for them before its first page.
    /// </summary>
    public static async Task ReadAsync(
        ProvisioningReport report, ScimClient client, BridgeEndpoint bridge, RequestThrottle throttle, CancellationToken cancellationToken)
    {
        var config = throttle.RunAsync(() => ReadConfigAsync(client, bridge, cancellationToken), cancellationToken);
        var health = throttle.RunAsync(() => ReadHealthAsync(client, bridge, cancellationToken), cancellationToken);
        // When both fail, the configuration's failure (the first task) is the one thrown.
        await Task.WhenAll(config, health);
        report.Reachable = true;
        report.TokenAccepted = true;
        report.ServiceProviderConfig = config.Result;
        if (health.Result is { } h)
        {
            (report.BridgeVersion, report.BridgeBuild, report.HealthReports) = h;
        }
    }

    private static async Task<string> ReadConfigAsync(ScimClient client, BridgeEndpoint bridge, CancellationToken cancellationToken)
    {
        using var config = await client.GetJsonAsync(bridge, bridge.Resolve("ServiceProviderConfig"), cancellationToken);
        return config.RootElement.GetRawText();
    }

    private static async Task<(string? Version, string? Build, string Reports)?> ReadHealthAsync(
        ScimClient client, BridgeEndpoint bridge, CancellationToken cancellationToken)
    {
        try
        {
            using var health = await client.GetJsonAsync(bridge, new Uri(bridge.Origin, "/health"), cancellationToken);
            var root = health.RootElement;
            return root.ValueKind == JsonValueKind.Object
                ? (ScimJson.String(root, "version"), ScimJson.String(root, "build"), root.GetRawText())
                : null;
        }
        catch (BridgeException ex) when (ex.Failure is not BridgeFailure.Unauthorized)
        {
            // Not every SCIM server has /health; its absence is not a failed sync.
            return null;
        }
    }
}
