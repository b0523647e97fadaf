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

    /// <summary>How lists are paged: by <c>startIndex</c> only, as the 1Password bridge does, or also by cursor (RFC 9865).</summary>
    public DemoPaging Paging { get; init; } = DemoPaging.Offset;

    /// <summary>Every response is delayed this long, to stand for a bridge far away or under load.</summary>
    public TimeSpan Latency { get; init; } = TimeSpan.Zero;

    /// <summary>Listen beyond loopback, as a container needs to. Never set this on a host reachable from a network you do not trust.</summary>
    public bool AllowAnyAddress { get; init; }

    /// <summary>When set, a fake 1Password Events API (<see cref="DemoEventsApi"/>) answers under <c>/api/</c> with this token.</summary>
    public string? EventsToken { get; init; }
}

/// <summary>How the demo bridge pages its lists.</summary>
public enum DemoPaging
{
    /// <summary><c>startIndex</c> and <c>count</c> (RFC 7644 §3.4.2.4) only; a <c>cursor</c> parameter is ignored, and none is announced.</summary>
    Offset,

    /// <summary>
    /// Also <c>cursor</c> and <c>nextCursor</c> (RFC 9865), announced in <c>/ServiceProviderConfig</c> and the default
    /// when a request names neither; <c>startIndex</c> still works.
    /// </summary>
    Cursor,
}
