using System.ComponentModel.DataAnnotations;

namespace OnePasswordConnector.Sync;

internal sealed class SyncOptions
{
    public const string Section = "Sync";

    /// <summary>The <c>count</c> sent with each page request. Servers may cap it lower.</summary>
    [Range(1, 1000)]
    public int PageSize { get; set; } = 100;

    /// <summary>Pages per resource type after which an enumeration is given up as broken.</summary>
    [Range(1, 1_000_000)]
    public int MaxPages { get; set; } = 10_000;

    /// <summary>The overall time budget of one sync, retries included.</summary>
    [Range(1, 1440)]
    public int BudgetMinutes { get; set; } = 60;

    /// <summary>How long a replica's claim on a connection lasts unless renewed; a dead replica's sync is abandoned after it.</summary>
    [Range(10, 3600)]
    public int LeaseSeconds { get; set; } = 120;

    /// <summary>How often a running sync writes its progress and renews its lease.</summary>
    [Range(1, 600)]
    public int HeartbeatSeconds { get; set; } = 5;

    /// <summary>Requests one sync has in flight at once against its bridge: list pages, member lists, removal checks.</summary>
    [Range(1, 32)]
    public int MaxConcurrentRequests { get; set; } = 4;

    /// <summary>How often an enumeration that saw the directory change under it starts again before the run gives up.</summary>
    [Range(0, 10)]
    public int EnumerationRestarts { get; set; } = 3;

    /// <summary>Stored users and groups a run may look up one by one before recording them removed; past it the run fails.</summary>
    [Range(0, 1_000_000)]
    public int MaxRemovalChecks { get; set; } = 5_000;
}
