using System.ComponentModel.DataAnnotations;

namespace OnePasswordConnector.Persistence;

internal sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>Days of history kept: an access review can look back this far (auditors ask for at least a year).</summary>
    [Range(30, 36_500)]
    public int HistoryDays { get; set; } = 400;

    /// <summary>Rows one statement deletes, so that pruning never holds long locks or bloats one transaction.</summary>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 5_000;

    /// <summary>Minutes between two prunings on each replica.</summary>
    [Range(1, 10_080)]
    public int SweepMinutes { get; set; } = 60;

    public bool Enabled { get; set; } = true;
}
