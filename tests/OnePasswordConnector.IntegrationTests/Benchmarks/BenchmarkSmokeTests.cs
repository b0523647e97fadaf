using OnePasswordConnector.Benchmarks;
using OnePasswordConnector.TestSupport;
using Xunit.Abstractions;

namespace OnePasswordConnector.IntegrationTests.Benchmarks;

/// <summary>The benchmark at size 1,000, so that its code keeps building and measuring; the real run is scripts/bench.sh.</summary>
public sealed class BenchmarkSmokeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_benchmark_measures_every_figure_at_size_1000()
    {
        using var log = new StringWriter();

        var result = await Benchmark.RunAsync(SizeSpec.Parse("1000"), TestDatabase.AdminConnectionString, pageSize: 100, log);

        output.WriteLine(log.ToString());
        output.WriteLine(Benchmark.Table(result));
        Assert.Equal(1001, result.Users);
        Assert.True(result.Memberships > 4000, $"{result.Memberships} memberships");
        Assert.All(new[] { result.FetchFloor, result.WriteFloor, result.FullSync, result.NoChangeResync, result.ChurnResync }, t => Assert.True(t > 0));
        Assert.Equal(0, result.NoChangeEvents);
        Assert.True(result.ChurnEvents > 0, "the 1 % change re-sync records the changes");
        Assert.True(result.PeakWorkingSetMb > 0);
        Assert.True(result.UsersPageP95Ms > 0);
        Assert.True(result.CsvRows >= result.Users, $"{result.CsvRows} CSV rows for {result.Users} users");
        Assert.True(result.EvidenceSeconds > 0, "the evidence package of a review is measured");
        Assert.Contains("| full sync into an empty database |", Benchmark.Table(result), StringComparison.Ordinal);
        Assert.Contains("; heap after a GC max", log.ToString(), StringComparison.Ordinal);
        // Each size of scripts/bench.sh runs in a child process that hands its result over as one line.
        Assert.Equal(Benchmark.Table(result), Benchmark.Table(SizeProcess.Parse(SizeProcess.Line(result))!));
    }

    [Fact]
    public async Task The_big_group_case_stores_every_member_of_its_one_large_group_and_measures_the_peak()
    {
        using var log = new StringWriter();

        var result = await BigGroupBenchmark.RunHereAsync(SizeSpec.Parse("1000"), members: 20_000, TestDatabase.AdminConnectionString, pageSize: 100, log);

        output.WriteLine(log.ToString());
        Assert.Equal(20_000, result.StoredMemberships);
        Assert.True(result.PeakWorkingSetMb > 0 && result.FullSync > 0 && result.NoChangeResync > 0);
        Assert.Contains("peak working set during the full sync", BigGroupBenchmark.Table(result), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_capacity_benchmark_measures_bytes_cpu_and_churn_growth_at_size_500()
    {
        using var log = new StringWriter();

        var result = await CapacityBenchmark.RunAsync(500, TestDatabase.AdminConnectionString, log);

        output.WriteLine(log.ToString());
        output.WriteLine(CapacityBenchmark.Table(result));
        Assert.Equal(501, result.Users);
        Assert.True(result.Memberships > 2000, $"{result.Memberships} memberships");
        Assert.True(result.BytesPerUser > 0 && result.BytesPerMembership > 0);
        Assert.True(result.SyncCpuSeconds > 0, "the connector's CPU time is measured");
        Assert.True(result.SyncDatabaseCpuSeconds > 0, "PostgreSQL's CPU time is measured from /proc");
        Assert.True(result.ChurnEvents > 0 && result.GrowthPerChurnDay > 0, "a day of 1 % churn adds history");
        Assert.Contains("capacity_bytes_per_user=", CapacityBenchmark.Table(result), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_latency_benchmark_counts_the_requests_of_a_full_sync_at_each_concurrency()
    {
        using var log = new StringWriter();

        var result = await LatencyBenchmark.RunAsync(SizeSpec.Parse("1000"), TestDatabase.AdminConnectionString, pageSize: 100, latencyMs: 20, [1, 4], log);

        output.WriteLine(log.ToString());
        output.WriteLine(LatencyBenchmark.Table(result));
        Assert.Equal([1, 4], result.Runs.Select(r => r.Concurrency));
        // ServiceProviderConfig, /health, 1 page of 54 groups and 11 pages of 1,001 users.
        Assert.All(result.Runs, r => Assert.Equal(14, r.Requests));
        Assert.All(result.Runs, r => Assert.True(r.Seconds >= r.Requests * 0.020 / r.Concurrency, $"{r.Seconds} s for {r.Requests} requests"));
        Assert.Contains("| × ideal |", LatencyBenchmark.Table(result), StringComparison.Ordinal);
    }
}
