namespace OnePasswordConnector.Persistence;

internal static class PostgresTime
{
    /// <summary>PostgreSQL keeps microseconds; rounding first makes the stored instant equal the one in memory.</summary>
    public static DateTimeOffset Microseconds(DateTimeOffset value) => new(value.UtcTicks - (value.UtcTicks % 10), TimeSpan.Zero);
}
