namespace OnePasswordConnector.Persistence;

/// <summary>A tenant's registered 1Password SCIM Bridge and its sync schedule.</summary>
internal sealed class Connection
{
    public Guid Id { get; set; }
    public required string TenantId { get; set; }
    public required string Name { get; set; }

    /// <summary>The SCIM base URL that answered the probe (for example <c>https://op-scim.example.org/scim</c>).</summary>
    public required string ScimBaseUrl { get; set; }

    /// <summary>The bearer token, encrypted with ASP.NET Core Data Protection. Never leaves the service in clear.</summary>
    public required string ProtectedToken { get; set; }

    public required string TokenHint { get; set; }
    public int SyncIntervalMinutes { get; set; }
    public bool Enabled { get; set; } = true;
    public ConnectionStatus Status { get; set; } = ConnectionStatus.Pending;
    public string? LastError { get; set; }
    public int ConsecutiveFailures { get; set; }
    public string? BridgeVersion { get; set; }

    public DateTimeOffset? NextSyncAt { get; set; }
    public string? LeaseOwner { get; set; }
    public DateTimeOffset? LeaseExpiresAt { get; set; }

    public Guid? LastSyncRunId { get; set; }
    public SyncRunStatus? LastSyncStatus { get; set; }
    public DateTimeOffset? LastSyncFinishedAt { get; set; }
    public DateTimeOffset? LastSuccessfulSyncAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>
    /// Set by DELETE: the connection is gone from the API at once, its running sync is told to stop, and its rows are
    /// purged once no sync holds them (a running sync's transaction would otherwise make the DELETE wait for it).
    /// </summary>
    public DateTimeOffset? DeletedAt { get; set; }

    /// <summary>
    /// When a rescheduled or re-enabled connection is due: at once if it never synced successfully, otherwise an interval
    /// after its last sync ended, never in the past.
    /// </summary>
    public DateTimeOffset NextDue(DateTimeOffset now)
    {
        if (LastSuccessfulSyncAt is null)
        {
            return now;
        }

        var next = (LastSyncFinishedAt ?? now).AddMinutes(SyncIntervalMinutes);
        return next < now ? now : next;
    }
}

public enum ConnectionStatus
{
    /// <summary>Registered, not synced yet.</summary>
    Pending,
    Healthy,
    Failing,

    /// <summary>The bridge rejected the token: scheduling stops until the token is rotated or re-tested.</summary>
    Unauthorized,
}
