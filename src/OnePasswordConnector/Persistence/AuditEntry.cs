namespace OnePasswordConnector.Persistence;

/// <summary>
/// One call that changed state or exported data, as the connector's own audit trail records it. Append-only: a trigger
/// refuses UPDATE, DELETE and TRUNCATE, and no foreign key ties it to a connection, so purging one keeps its trail.
/// </summary>
internal sealed class AuditEntry
{
    public long Id { get; set; }
    public required string TenantId { get; set; }

    /// <summary>The API key's configured name; never the key.</summary>
    public required string KeyName { get; set; }

    /// <summary>The endpoint's name, e.g. CreateConnection, CancelSync, DownloadEvidence.</summary>
    public required string Action { get; set; }

    /// <summary>The path of the resource acted on (ids only), or the created resource's Location.</summary>
    public required string Target { get; set; }

    /// <summary>succeeded, refused (4xx) or failed (5xx).</summary>
    public required string Outcome { get; set; }

    public int Status { get; set; }
    public DateTimeOffset OccurredAt { get; set; }
    public required string TraceId { get; set; }
}
