using OnePasswordConnector.Connections;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.SignIns;

/// <summary>Where a connection's Events API lives: one of 1Password's four regional hosts, or one configuration allows.</summary>
internal static class EventsHosts
{
    public static readonly IReadOnlyDictionary<string, string> Regions = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["us"] = "events.1password.com",
        ["ca"] = "events.1password.ca",
        ["eu"] = "events.1password.eu",
        ["enterprise"] = "events.ent.1password.com",
    };

    public const string RegionRule =
        "The region must be us, ca, eu or enterprise, or the https URL of one of 1Password's Events API hosts " +
        "(events.1password.com, events.1password.ca, events.1password.eu, events.ent.1password.com), without a path.";

    /// <summary>The Events API's base URL for a region name or URL (null: us); false with the reason when it is not allowed.</summary>
    public static bool TryResolve(string? region, BridgeUrlPolicy policy, EventsOptions options, out Uri? url, out string? error)
    {
        url = null;
        error = RegionRule;
        var text = string.IsNullOrWhiteSpace(region) ? "us" : region.Trim();
        if (Regions.TryGetValue(text, out var host))
        {
            text = "https://" + host;
        }

        // The bridge's URL rules apply as they are: https only (unless the demo allows http), no user info, query or
        // fragment, no internal address literal. The connect-time guard checks again.
        if (!BridgeUrl.TryParse(text, policy, out var parsed, out var urlError))
        {
            error = urlError!.Replace("SCIM bridge URL", "Events API URL", StringComparison.Ordinal);
            return false;
        }

        var allowed = Regions.Values.Contains(parsed!.Origin.Host, StringComparer.OrdinalIgnoreCase)
            || options.AdditionalHosts.Contains(parsed.Origin.Host, StringComparer.OrdinalIgnoreCase);
        if (!allowed || parsed.ScimBase is not null)
        {
            return false;
        }

        url = parsed.Origin;
        error = null;
        return true;
    }
}
