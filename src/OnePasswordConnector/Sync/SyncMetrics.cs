using System.Diagnostics.Metrics;
using OnePasswordConnector.Persistence;

namespace OnePasswordConnector.Sync;

/// <summary>Sync counters and durations, exported by whatever listens to the "OnePasswordConnector.Sync" meter.</summary>
internal sealed class SyncMetrics
{
    public const string MeterName = "OnePasswordConnector.Sync";

    private readonly Counter<long> started;
    private readonly Counter<long> succeeded;
    private readonly Counter<long> failed;
    private readonly Histogram<double> duration;
    private readonly Counter<long> resourcesRead;

    public SyncMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        started = meter.CreateCounter<long>("syncs.started", "{sync}", "Syncs started, by trigger.");
        succeeded = meter.CreateCounter<long>("syncs.succeeded", "{sync}", "Syncs that completed and merged.");
        failed = meter.CreateCounter<long>("syncs.failed", "{sync}", "Syncs that ended without merging, by reason.");
        duration = meter.CreateHistogram<double>("sync.duration", "s", "How long a sync took, by outcome.");
        resourcesRead = meter.CreateCounter<long>("resources.read", "{resource}", "SCIM users and groups read from bridges.");
    }

    public void Started(SyncTrigger trigger) =>
        started.Add(1, new KeyValuePair<string, object?>("trigger", trigger.ToString().ToLowerInvariant()));

    public void Succeeded(TimeSpan elapsed, int resources)
    {
        succeeded.Add(1);
        duration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("outcome", "succeeded"));
        resourcesRead.Add(resources);
    }

    /// <param name="reason">The failure kind: a bridge failure code (unauthorized, timeout, ...), cancelled, database, refused or internal.</param>
    public void Failed(string reason, TimeSpan elapsed, int resources)
    {
        failed.Add(1, new KeyValuePair<string, object?>("reason", reason));
        duration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("outcome", "failed"));
        resourcesRead.Add(resources);
    }
}
