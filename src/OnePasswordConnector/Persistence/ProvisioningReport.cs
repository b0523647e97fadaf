namespace OnePasswordConnector.Persistence;

/// <summary>What a bridge said about itself at one sync or probe: the provisioning status.</summary>
internal sealed class ProvisioningReport
{
    public Guid Id { get; set; }
    public Guid ConnectionId { get; set; }
    public Guid? SyncRunId { get; set; }
    public DateTimeOffset RecordedAt { get; set; }
    public bool Reachable { get; set; }
    public bool? TokenAccepted { get; set; }
    public string? BridgeVersion { get; set; }
    public string? BridgeBuild { get; set; }
    public string? HealthReports { get; set; }
    public string? ServiceProviderConfig { get; set; }
    public string[] PrivilegedGroups { get; set; } = [];
    public required string Verdict { get; set; }
    public string? Error { get; set; }
}
