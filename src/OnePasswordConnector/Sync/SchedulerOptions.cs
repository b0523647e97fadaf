using System.ComponentModel.DataAnnotations;

namespace OnePasswordConnector.Sync;

internal sealed class SchedulerOptions
{
    public const string Section = "Scheduler";

    /// <summary>False stops this replica from starting scheduled syncs (manual syncs still run).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often the scheduler looks for due connections and for runs whose replica died.</summary>
    [Range(1, 3600)]
    public int PollSeconds { get; set; } = 15;

    /// <summary>Syncs this replica runs at once, manual ones included.</summary>
    [Range(1, 256)]
    public int MaxConcurrentSyncs { get; set; } = 4;

    /// <summary>Syncs of one tenant this replica runs at once, so a tenant with many connections cannot take every slot.</summary>
    [Range(1, 256)]
    public int MaxConcurrentPerTenant { get; set; } = 2;
}
