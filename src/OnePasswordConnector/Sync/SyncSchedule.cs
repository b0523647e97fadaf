namespace OnePasswordConnector.Sync;

internal static class SyncSchedule
{
    /// <summary>The next due time after <paramref name="from"/>, never in the past.</summary>
    public static DateTimeOffset NextAfter(DateTimeOffset from, int intervalMinutes, DateTimeOffset now)
    {
        var next = from.AddMinutes(intervalMinutes);
        return next < now ? now : next;
    }
}
