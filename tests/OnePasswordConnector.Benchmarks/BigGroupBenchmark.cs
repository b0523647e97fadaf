using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OnePasswordConnector.Sync;

namespace OnePasswordConnector.Benchmarks;

internal sealed record BigGroupResult(int Members, double FullSync, double PeakWorkingSetMb, double PeakManagedMb, double NoChangeResync, int StoredMemberships, double Seconds);

/// <summary>
/// One group of a million members: a size-S team plus an "All Hands" group of <c>members</c> on the demo bridge, one
/// full sync with the connector's peak working set sampled, and an unchanged re-sync. It runs in a child process of
/// its own, so the peak is not inflated by what the sizes before it left in the heap, nor theirs by it.
/// </summary>
internal static class BigGroupBenchmark
{
    public const string ChildSwitch = "--big-group-case";

    public const int DefaultMembers = 1_000_000;

    /// <summary>Runs the case in a child process and reads its result line.</summary>
    public static async Task<BigGroupResult> RunAsync(int members, TextWriter log)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { typeof(BigGroupBenchmark).Assembly.Location, ChildSwitch, members.ToString(CultureInfo.InvariantCulture) },
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        using var child = Process.Start(start) ?? throw new InvalidOperationException("Could not start the big-group case.");
        BigGroupResult? result = null;
        while (await child.StandardOutput.ReadLineAsync() is { } line)
        {
            log.WriteLine(line);
            if (line.StartsWith("result ", StringComparison.Ordinal))
            {
                result = Parse(line["result ".Length..]);
            }
        }

        await child.WaitForExitAsync();
        return result ?? throw new InvalidOperationException($"The big-group case exited with {child.ExitCode} and no result.");
    }

    /// <summary>The case itself, in the child process.</summary>
    public static async Task<BigGroupResult> RunHereAsync(SizeSpec size, int members, string adminConnectionString, int pageSize, TextWriter log)
    {
        var clock = Stopwatch.StartNew();
        await using var database = await BenchmarkDatabase.CreateAsync(adminConnectionString, "bench_big");
        var connectionString = database.ConnectionString;
        log.WriteLine($"[big group] starting a bridge with {size.Users:N0} people, {size.Groups:N0} groups and one group of {members:N0} members");
        await using var bridge = await BridgeProcess.StartAsync(
            size.Users, size.Groups, size.MembershipsPerUser, size.EveryoneGroup, maxPageSize: 1000, largeGroupMembers: members);
        await using var host = new ConnectorHost(connectionString, pageSize);
        var connectionId = await host.RegisterAsync(bridge.Url, bridge.Token);
        var coordinator = host.Services.GetRequiredService<SyncCoordinator>();

        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        double fullSync, peak, peakManaged;
        using (var sampler = new Benchmark.WorkingSetSampler())
        {
            var started = Stopwatch.GetTimestamp();
            await Benchmark.SyncAsync(coordinator, connectionId);
            fullSync = Stopwatch.GetElapsedTime(started).TotalSeconds;
            (peak, peakManaged) = (sampler.PeakMb, sampler.PeakManagedMb);
        }

        await Benchmark.AssertRun(connectionString, connectionId, expectedUsers: size.Users + 1);
        var stored = await LargestGroupAsync(connectionString, connectionId);
        log.WriteLine($"[big group] full sync {fullSync:F2} s, peak working set {peak:F0} MB (managed heap {peakManaged:F0} MB), largest group stored with {stored:N0} members");

        var again = Stopwatch.GetTimestamp();
        await Benchmark.SyncAsync(coordinator, connectionId);
        var resync = Stopwatch.GetElapsedTime(again).TotalSeconds;
        log.WriteLine($"[big group] no-change re-sync {resync:F2} s");
        return new BigGroupResult(members, fullSync, peak, peakManaged, resync, stored, clock.Elapsed.TotalSeconds);
    }

    public static string Line(BigGroupResult r) => string.Create(CultureInfo.InvariantCulture,
        $"result {r.Members} {r.FullSync:F2} {r.PeakWorkingSetMb:F0} {r.PeakManagedMb:F0} {r.NoChangeResync:F2} {r.StoredMemberships} {r.Seconds:F1}");

    public static string Table(BigGroupResult r) => string.Create(CultureInfo.InvariantCulture, $"""
        ### One group of {r.Members:N0} members (size S team plus "All Hands")

        | measurement | result |
        |---|---:|
        | full sync into an empty database | {r.FullSync:F2} s |
        | peak working set during the full sync | {r.PeakWorkingSetMb:F0} MB |
        | peak managed heap during the full sync | {r.PeakManagedMb:F0} MB |
        | members of the group stored | {r.StoredMemberships:N0} |
        | no-change re-sync | {r.NoChangeResync:F2} s |
        | whole case, bridge start included | {r.Seconds:F0} s |

        """);

    private static BigGroupResult Parse(string text)
    {
        var f = text.Split(' ');
        double D(int i) => double.Parse(f[i], CultureInfo.InvariantCulture);
        return new BigGroupResult(int.Parse(f[0], CultureInfo.InvariantCulture), D(1), D(2), D(3), D(4), int.Parse(f[5], CultureInfo.InvariantCulture), D(6));
    }

    private static async Task<int> LargestGroupAsync(string connectionString, Guid connectionId)
    {
        await using var db = new NpgsqlConnection(connectionString);
        await db.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*)::int FROM memberships WHERE connection_id = @c GROUP BY group_id ORDER BY 1 DESC LIMIT 1", db);
        command.Parameters.AddWithValue("c", connectionId);
        return (int)(await command.ExecuteScalarAsync())!;
    }
}
