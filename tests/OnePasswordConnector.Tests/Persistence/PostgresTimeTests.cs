using OnePasswordConnector.Persistence;

namespace OnePasswordConnector.Tests.Persistence;

public sealed class PostgresTimeTests
{
    [Fact]
    public void Stored_instants_are_rounded_down_to_the_microsecond_in_utc()
    {
        var local = new DateTimeOffset(2026, 11, 1, 10, 0, 0, TimeSpan.FromHours(1)).AddTicks(1_234_567);

        var stored = PostgresTime.Microseconds(local);

        Assert.Equal(TimeSpan.Zero, stored.Offset);
        Assert.Equal(local.UtcTicks - 7, stored.UtcTicks);
        Assert.Equal(stored, PostgresTime.Microseconds(stored));
    }
}
