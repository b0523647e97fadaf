using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OnePasswordConnector.Sync;

namespace OnePasswordConnector.Benchmarks;

/// <summary>One full sync of a bridge that delays every answer, at one setting of <c>Sync:MaxConcurrentRequests</c>.</summary>
internal sealed record LatencyRun(int Concurrency, double Seconds, long Requests, int LatencyMs)
{
    /// <summary>What the sync cannot beat: every request waits the latency, and at most <see cref="Concurrency"/> wait together.</summary>
    public double IdealSeconds => Requests * LatencyMs / 1000.0 / Concurrency;

    public double RatioVsIdeal => Seconds / IdealSeconds;
}

internal sealed record LatencyResult(SizeSpec Size, int LatencyMs, int Users, IReadOnlyList<LatencyRun> Runs);

/// <summary>
/// Full syncs against a demo bridge started with <c>--latency-ms</c>, so that the time is spent waiting for the bridge
/// as with a remote or loaded one, first reading one page at a time and then several at once.
/// </summary>
internal static class LatencyBenchmark
{
    public static async Task<LatencyResult> RunAsync(
        SizeSpec size, string adminConnectionString, int pageSize, int latencyMs, IReadOnlyList<int> concurrencies, TextWriter log)
    {
        var runs = new List<LatencyRun>();
        var users = size.Users + 1;
        log.WriteLine($"[latency] starting a bridge with {size.Users:N0} people, {size.Groups:N0} groups and {latencyMs} ms per answer");
        await using var bridge = await BridgeProcess.StartAsync(size.Users, size.Groups, size.MembershipsPerUser, size.EveryoneGroup, maxPageSize: 1000, latencyMs);
        foreach (var concurrency in concurrencies)
        {
            // A database of its own for each run, so that each is a full sync into an empty one.
            await using var database = await BenchmarkDatabase.CreateAsync(adminConnectionString, $"bench_lat{concurrency}");
            var connectionString = database.ConnectionString;
            var counter = new BridgeRequestCounter();
            await using var host = new ConnectorHost(connectionString, pageSize, concurrency, counter);
            var connectionId = await host.RegisterAsync(bridge.Url, bridge.Token);
            var coordinator = host.Services.GetRequiredService<SyncCoordinator>();
            counter.Reset();
            var seconds = await Benchmark.Time(() => Benchmark.SyncAsync(coordinator, connectionId));
            await Benchmark.AssertRun(connectionString, connectionId, users);
            var run = new LatencyRun(concurrency, seconds, counter.Count, latencyMs);
            runs.Add(run);
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[latency] concurrency {concurrency}: full sync {seconds:F2} s, {run.Requests} requests, ideal {run.IdealSeconds:F2} s, {run.RatioVsIdeal:F2} × ideal"));
        }

        return new LatencyResult(size, latencyMs, users, runs);
    }


    public static string Table(LatencyResult result)
    {
        var s = new StringBuilder();
        s.AppendLine(CultureInfo.InvariantCulture, $"### Full sync of {result.Users:N0} users from a bridge answering in {result.LatencyMs} ms");
        s.AppendLine();
        s.AppendLine("| concurrency | full sync | requests | ideal (requests × latency / concurrency) | × ideal |");
        s.AppendLine("|---:|---:|---:|---:|---:|");
        foreach (var run in result.Runs)
        {
            s.AppendLine(CultureInfo.InvariantCulture,
                $"| {run.Concurrency} | {run.Seconds:F2} s | {run.Requests} | {run.IdealSeconds:F2} s | {run.RatioVsIdeal:F2} |");
        }

        return s.ToString();
    }
}
