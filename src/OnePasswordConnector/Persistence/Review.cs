namespace OnePasswordConnector.Persistence;

/// <summary>
/// An access review: a population frozen at one succeeded, complete sync run of a connection. Everything a review
/// answers is read from that run's snapshot, so the history rows it needs must outlive it (docs/retention note in
/// docs/reviews.md).
/// </summary>
internal sealed class Review
{
    public Guid Id { get; set; }
    public Guid ConnectionId { get; set; }
    public required string TenantId { get; set; }
    public required string Name { get; set; }

    /// <summary>The instant the reviewer asked for; the pinned run is the last complete one that had finished by then.</summary>
    public DateTimeOffset AsOf { get; set; }

    public Guid SyncRunId { get; set; }

    /// <summary>The pinned run's start: every row it wrote carries it, so the snapshot tests validity there.</summary>
    public DateTimeOffset RunStartedAt { get; set; }

    public DateTimeOffset RunFinishedAt { get; set; }

    /// <summary>The review of the same connection created just before this one, when it still exists.</summary>
    public Guid? PreviousReviewId { get; set; }

    public int Users { get; set; }
    public int ActiveUsers { get; set; }
    public int Groups { get; set; }
    public int Memberships { get; set; }
    public int PrivilegedMembers { get; set; }
    public required string CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
