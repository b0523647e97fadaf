using System.Globalization;

namespace OnePasswordConnector.Benchmarks;

// Not top-level statements: the service's global Program is the one WebApplicationFactory<Program> must find.
internal static class BenchmarkProgram
{
    public static async Task<int> Main(string[] args)
    {
        // Usage: OnePasswordConnector.Benchmarks [--sizes S,L] [--page-size 100] [--latency-ms 100] (0: no latency run)
        //        [--big-group 1000000] (members of the one-group case; 0 skips it)
        //        [--chart docs/performance-scale.svg] (the scale curve of the sizes run; XL: 1,000,000 users, opt-in)
        //        OnePasswordConnector.Benchmarks --capacity [users, default 10000]
        // The PostgreSQL admin connection string comes from ONEPASSWORDCONNECTOR_BENCH_POSTGRES (scripts/bench.sh sets it).
        var sizes = "S,L";
        var pageSize = 100;
        var latencyMs = 100;
        var bigGroup = BigGroupBenchmark.DefaultMembers;
        string? chart = null;
        for (var i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == "--sizes")
            {
                sizes = args[i + 1];
            }
            else if (args[i] == "--page-size")
            {
                pageSize = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            }
            else if (args[i] == "--latency-ms")
            {
                latencyMs = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            }
            else if (args[i] == "--big-group")
            {
                bigGroup = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            }
            else if (args[i] == "--chart")
            {
                chart = args[i + 1];
            }
        }

        var admin = Environment.GetEnvironmentVariable("ONEPASSWORDCONNECTOR_BENCH_POSTGRES");
        if (string.IsNullOrEmpty(admin))
        {
            Console.Error.WriteLine("Set ONEPASSWORDCONNECTOR_BENCH_POSTGRES to a PostgreSQL admin connection string, or run scripts/bench.sh.");
            return 2;
        }

        if (args is ["--capacity", ..])
        {
            var users = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10_000;
            Console.WriteLine(CapacityBenchmark.Table(await CapacityBenchmark.RunAsync(users, admin, Console.Out)));
            return 0;
        }

        if (args is [BigGroupBenchmark.ChildSwitch, var members])
        {
            Console.WriteLine(BigGroupBenchmark.Line(await BigGroupBenchmark.RunHereAsync(SizeSpec.S, int.Parse(members, CultureInfo.InvariantCulture), admin, pageSize, Console.Out)));
            return 0;
        }

        if (args is [SizeProcess.ChildSwitch, var sizeName, var childPageSize])
        {
            await SizeProcess.RunHereAsync(SizeSpec.Parse(sizeName), admin, int.Parse(childPageSize, CultureInfo.InvariantCulture), Console.Out);
            return 0;
        }

        var results = new List<SizeResult>();
        foreach (var size in sizes.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(SizeSpec.Parse))
        {
            results.Add(await SizeProcess.RunAsync(size, pageSize, Console.Out));
        }

        var big = bigGroup > 0 ? await BigGroupBenchmark.RunAsync(bigGroup, Console.Out) : null;
        var latency = latencyMs > 0 ? await LatencyBenchmark.RunAsync(SizeSpec.S, admin, pageSize, latencyMs, [1, 4], Console.Out) : null;

        Console.WriteLine();
        foreach (var result in results)
        {
            Console.WriteLine(Benchmark.Table(result));
        }

        if (latency is not null)
        {
            Console.WriteLine(LatencyBenchmark.Table(latency));
        }

        if (big is not null)
        {
            Console.WriteLine(BigGroupBenchmark.Table(big));
        }

        var large = results.LastOrDefault(r => r.Size.Name == "L") ?? results[^1];
        var small = results.FirstOrDefault(r => r.Size.Name == "S") ?? results[0];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ratio_full_sync_vs_floor={large.RatioFullSyncVsFloor:F2} ratio_resync_vs_fetch={large.RatioResyncVsFetch:F2} peak_mb_L={large.PeakWorkingSetMb:F0} peak_mb_S={small.PeakWorkingSetMb:F0}{LatencyRatio(latency)}{BigGroupPeak(big)}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"users_page_p95_ms_L={large.UsersPageP95Ms:F1} csv_seconds_L={large.CsvSeconds:F2} csv_rows_L={large.CsvRows} evidence_seconds_L={large.EvidenceSeconds:F2} q_p95_ms_L={large.SearchP95Ms:F1}"));
        var scale = results.Select(ScalePoint.From).ToList();
        if (ScaleCurve.SummaryLine(scale) is { } scaleLine)
        {
            Console.WriteLine();
            Console.WriteLine(ScaleCurve.Table(scale));
            Console.WriteLine(scaleLine);
        }

        if (chart is not null)
        {
            await File.WriteAllTextAsync(chart, ScaleChart.Svg(scale, Caption()));
            Console.WriteLine($"scale chart written to {chart}");
        }

        return 0;
    }

    private static string BigGroupPeak(BigGroupResult? big) =>
        big is null ? "" : string.Create(CultureInfo.InvariantCulture, $" peak_mb_big_group={big.PeakWorkingSetMb:F0}");

    /// <summary>Where and when, so a committed chart says which code it measured.</summary>
    private static string Caption() => string.Create(CultureInfo.InvariantCulture,
        $"scripts/bench.sh, {DateTime.UtcNow:yyyy-MM-dd}, {Environment.ProcessorCount} cores, load average {LoadAverage()}, commit {Environment.GetEnvironmentVariable("ONEPASSWORDCONNECTOR_BENCH_COMMIT") ?? "unknown"}");

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    /// <summary>The last (most concurrent) latency run against its ideal, as one more key of the ratio line.</summary>
    private static string LatencyRatio(LatencyResult? latency) =>
        latency is null ? "" : string.Create(CultureInfo.InvariantCulture, $" ratio_latency_sync_vs_ideal={latency.Runs[^1].RatioVsIdeal:F2}");
}
