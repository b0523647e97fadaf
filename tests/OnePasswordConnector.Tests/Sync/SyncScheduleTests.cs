using OnePasswordConnector.Hosting;
using OnePasswordConnector.Sync;

namespace OnePasswordConnector.Tests.Sync;

public sealed class SyncScheduleTests
{
    private static readonly DateTimeOffset Finished = new(2026, 11, 1, 9, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(0.0, 60)]
    [InlineData(0.5, 61.5)]
    [InlineData(1.0, 63)]
    public void Next_sync_is_one_interval_later_stretched_by_at_most_5_percent_jitter(double jitter, double expectedMinutes)
    {
        var next = new SyncScheduleCalculator(new FixedJitter(jitter)).Next(Finished, intervalMinutes: 60);

        Assert.Equal(TimeSpan.FromMinutes(expectedMinutes), next - Finished);
    }

    [Theory]
    [InlineData(0, 5)]
    [InlineData(1, 5)]
    [InlineData(2, 10)]
    [InlineData(3, 20)]
    [InlineData(5, 80)]
    public void Backoff_starts_at_5_minutes_and_doubles_per_consecutive_failure(int failures, int expectedMinutes)
    {
        var next = new SyncScheduleCalculator(new FixedJitter(0)).Backoff(Finished, failures, intervalMinutes: 24 * 60);

        Assert.Equal(TimeSpan.FromMinutes(expectedMinutes), next - Finished);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(1000)]
    public void Backoff_stops_growing_at_6_hours(int failures)
    {
        var next = new SyncScheduleCalculator(new FixedJitter(0)).Backoff(Finished, failures, intervalMinutes: 7 * 24 * 60);

        Assert.Equal(TimeSpan.FromHours(6), next - Finished);
    }

    [Fact]
    public void Backoff_is_never_later_than_the_regular_interval()
    {
        var next = new SyncScheduleCalculator(new FixedJitter(0)).Backoff(Finished, consecutiveFailures: 6, intervalMinutes: 15);

        Assert.Equal(TimeSpan.FromMinutes(15), next - Finished);
    }

    [Fact]
    public void Backoff_is_jittered_by_at_most_5_percent()
    {
        var next = new SyncScheduleCalculator(new FixedJitter(1.0)).Backoff(Finished, consecutiveFailures: 2, intervalMinutes: 24 * 60);

        Assert.Equal(TimeSpan.FromMinutes(10.5), next - Finished);
    }

    private sealed class FixedJitter(double value) : IJitterSource
    {
        public double Next() => value;
    }
}
