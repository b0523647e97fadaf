using System.Text.Json;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Sync;

/// <summary>What a sync learnt about the bridge, recorded as the run's provisioning report however the run ends.</summary>
internal sealed record BridgeReport
{
    public bool Reachable { get; set; }
    public bool? TokenAccepted { get; set; }
    public string? Version { get; set; }
    public string? Build { get; set; }
    public string? Health { get; set; }
    public string? ServiceProviderConfig { get; set; }
    public string[] PrivilegedGroups { get; set; } = [];
    public string Verdict { get; init; } = "running";
    public string? Error { get; init; }

    /// <summary>What the bridge says about itself: capabilities and, on a 1Password bridge, version and health.</summary>
    public async Task ReadAsync(ScimClient client, BridgeEndpoint bridge, CancellationToken cancellationToken)
    {
        using (var config = await client.GetJsonAsync(bridge, bridge.Resolve("ServiceProviderConfig"), cancellationToken))
        {
            Reachable = true;
            TokenAccepted = true;
            ServiceProviderConfig = config.RootElement.GetRawText();
        }

        try
        {
            using var health = await client.GetJsonAsync(bridge, new Uri(bridge.Origin, "/health"), cancellationToken);
            if (health.RootElement.ValueKind == JsonValueKind.Object)
            {
                Version = ScimJson.String(health.RootElement, "version");
                Build = ScimJson.String(health.RootElement, "build");
                Health = health.RootElement.GetRawText();
            }
        }
        catch (BridgeException ex) when (ex.Failure is not BridgeFailure.Unauthorized)
        {
            // Not every SCIM server has /health; its absence is not a failed sync.
        }
    }
}
