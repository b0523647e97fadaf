namespace OnePasswordConnector.Persistence;

/// <summary>One enumeration of a bridge and its merge into the directory tables.</summary>
internal sealed class SyncRun
{
    public Guid Id { get; set; }
    public Guid ConnectionId { get; set; }
    public SyncTrigger Trigger { get; set; }
    public SyncRunStatus Status { get; set; }
    public DateTimeOffset StartedAt { get; set; }

    /// <summary>For a succeeded run, also the instant its merge stamped on every row it wrote.</summary>
    public DateTimeOffset? FinishedAt { get; set; }

    public string? Owner { get; set; }
    public int PagesRead { get; set; }
    public int ResourcesRead { get; set; }
    public SyncCounts Counts { get; set; } = new();
    public string? Error { get; set; }

    /// <summary>Set when an admin cancels the run or its connection is deleted; the replica running it stops.</summary>
    public DateTimeOffset? CancelRequestedAt { get; set; }

    public string? CancelReason { get; set; }

    /// <summary>Data-quality warnings: how many the run met in all.</summary>
    public int WarningCount { get; set; }

    /// <summary>The first warnings in full, as a JSON array.</summary>
    public string? Warnings { get; set; }

    /// <summary>Whether every completeness check of the run passed; null while it runs or when it never enumerated.</summary>
    public bool? Complete { get; set; }

    /// <summary>The run's completeness record, as a JSON object: what it proves about the population it read.</summary>
    public string? Completeness { get; set; }
}

public enum SyncTrigger
{
    Manual,
    Scheduled,
}

public enum SyncRunStatus
{
    Running,
    Succeeded,
    Failed,
    Cancelled,

    /// <summary>Its replica died: the lease expired with the run still open.</summary>
    Abandoned,
}
