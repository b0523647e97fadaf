using OnePasswordConnector.Hosting;

namespace OnePasswordConnector.Sync;

/// <summary>
/// When a connection is next due. Intervals get up to 5 % jitter so that thousands of tenants registered together
/// do not all sync in the same second; failures back off exponentially up to a cap.
/// </summary>
internal sealed class SyncScheduleCalculator(IJitterSource jitter)
{
    public static readonly TimeSpan FirstBackoff = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromHours(6);
    public const double JitterFraction = 0.05;

    public DateTimeOffset Next(DateTimeOffset finishedAt, int intervalMinutes) =>
        finishedAt + TimeSpan.FromMinutes(intervalMinutes) * (1 + (JitterFraction * jitter.Next()));

    /// <summary>5 min, 10, 20, ... capped at 6 h, and never later than a regular interval would be.</summary>
    public DateTimeOffset Backoff(DateTimeOffset failedAt, int consecutiveFailures, int intervalMinutes)
    {
        var exponent = Math.Min(Math.Max(consecutiveFailures - 1, 0), 16);
        var delay = FirstBackoff * Math.Pow(2, exponent);
        if (delay > MaxBackoff)
        {
            delay = MaxBackoff;
        }

        var interval = TimeSpan.FromMinutes(intervalMinutes);
        if (delay > interval)
        {
            delay = interval;
        }

        return failedAt + (delay * (1 + (JitterFraction * jitter.Next())));
    }
}
