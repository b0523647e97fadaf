namespace OnePasswordConnector.Benchmarks;

/// <summary>Latency of the access-review reads over a synced directory. Filled in once those endpoints exist.</summary>
internal static class QueryBenchmarks
{
    public static Task RunAsync(ConnectorHost host, string connectionString, Guid connectionId, SizeResult result, TextWriter log) => Task.CompletedTask;
}
