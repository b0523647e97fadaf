namespace OnePasswordConnector.DemoBridge;

/// <summary>How a demo bridge listens and answers.</summary>
public sealed record DemoBridgeOptions
{
    /// <summary>The bearer token every SCIM and <c>/health</c> request must send.</summary>
    public required string BearerToken { get; init; }

    /// <summary>Loopback URL(s) to listen on, separated by <c>;</c>. Port 0 picks a free port.</summary>
    public string Urls { get; init; } = "http://127.0.0.1:0";

    /// <summary>The server's cap on <c>count</c>; larger requests get this many items, without saying so.</summary>
    public int MaxPageSize { get; init; } = 1000;

    /// <summary>The page size when a request has no <c>count</c>.</summary>
    public int DefaultPageSize { get; init; } = 20;

    /// <summary>Where the SCIM endpoints live. They also answer at the root, as on the self-hosted bridge.</summary>
    public string ScimBasePath { get; init; } = "/scim";

    /// <summary>The bridge version reported by <c>/health</c>.</summary>
    public string Version { get; init; } = "2.9.16";

    /// <summary>The bridge build reported by <c>/health</c>.</summary>
    public string Build { get; init; } = "209163";

    /// <summary>Serves <c>POST /_demo/churn?percent=1&amp;seed=7</c> (bearer token required), which changes the directory. For benchmarks.</summary>
    public bool EnableChurn { get; init; }

    /// <summary>Listen beyond loopback, as a container needs to. Never set this on a host reachable from a network you do not trust.</summary>
    public bool AllowAnyAddress { get; init; }

    /// <summary>When set, a fake 1Password Events API (<see cref="DemoEventsApi"/>) answers under <c>/api/</c> with this token.</summary>
    public string? EventsToken { get; init; }
}
