using System.ComponentModel.DataAnnotations;

namespace OnePasswordConnector.Webhooks;

internal sealed class WebhookOptions
{
    public const string Section = "Webhooks";

    /// <summary>False stops this replica's delivery worker and stale check (other replicas still deliver).</summary>
    public bool WorkerEnabled { get; set; } = true;

    /// <summary>How often the worker looks for due deliveries and stale connections.</summary>
    [Range(1, 3600)]
    public int PollSeconds { get; set; } = 5;

    /// <summary>Deliveries one claim takes; a poll claims again until nothing is due.</summary>
    [Range(1, 1000)]
    public int BatchSize { get; set; } = 50;

    /// <summary>How long a subscriber has to answer one attempt.</summary>
    [Range(1, 120)]
    public int RequestTimeoutSeconds { get; set; } = 15;

    /// <summary>How long a claimed delivery is reserved for the replica posting it; longer than the request timeout.</summary>
    [Range(2, 3600)]
    public int ClaimSeconds { get; set; } = 60;

    /// <summary>The wait after the first failed attempt; it doubles per attempt, with jitter (half to all of it).</summary>
    [Range(1, 3600)]
    public int RetryBaseSeconds { get; set; } = 5;

    /// <summary>The longest wait between two attempts.</summary>
    [Range(1, 1440)]
    public int MaxRetryDelayMinutes { get; set; } = 60;

    /// <summary>How long a delivery is retried; then it is marked failed and its subscription disabled.</summary>
    [Range(1, 720)]
    public int RetryHours { get; set; } = 24;

    /// <summary>Groups whose memberships are privileged besides 1Password's Owners and Administrators (names, any case).</summary>
    public string[] PrivilegedGroups { get; set; } = [];
}

/// <summary>The event types a subscription can ask for.</summary>
internal static class WebhookEventTypes
{
    public const string PrivilegedGranted = "access.privileged_granted";
    public const string PrivilegedRevoked = "access.privileged_revoked";
    public const string UserJoined = "user.joined";
    public const string UserLeft = "user.left";
    public const string UserDeactivated = "user.deactivated";
    public const string SyncFailed = "sync.failed";
    public const string SyncRecovered = "sync.recovered";
    public const string ConnectionStale = "connection.stale";
    public const string TokenRejected = "connection.token_rejected";

    public static readonly string[] All =
        [PrivilegedGranted, PrivilegedRevoked, UserJoined, UserLeft, UserDeactivated, SyncFailed, SyncRecovered, ConnectionStale, TokenRejected];
}
