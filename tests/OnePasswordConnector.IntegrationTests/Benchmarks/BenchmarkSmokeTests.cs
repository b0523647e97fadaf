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
    }
}
