using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OnePasswordConnector.Persistence;
using OnePasswordConnector.Scim;
using OnePasswordConnector.Sync;

namespace OnePasswordConnector.Benchmarks;

/// <param name="MeasureReads">
/// False for XL: the scale curve is about syncs, and the reads (a 5,000,000-row CSV, an evidence package of a million
/// people) would add many minutes to an opt-in run without a target at that size.
/// </param>
internal sealed record SizeSpec(string Name, int Users, int Groups, int MembershipsPerUser, bool EveryoneGroup, bool MeasureReads = true)
{
    public static readonly SizeSpec S = new("S", 10_000, 500, 4, true);
    public static readonly SizeSpec L = new("L", 100_000, 5_000, 4, true);
    public static readonly SizeSpec XL = new("XL", 1_000_000, 50_000, 4, true, MeasureReads: false);

    public static SizeSpec Parse(string text) => text.ToUpperInvariant() switch
    {
        "S" => S,
        "L" => L,
        "XL" => XL,
        _ when int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var users) =>
            new SizeSpec(text, users, Math.Max(3, users / 20), 4, true),
        _ => throw new ArgumentException($"Unknown size '{text}': use S, L, XL or a number of users."),
    };
}

internal sealed class SizeResult
{
    public required SizeSpec Size { get; init; }
    public int Users { get; set; }
    public int Groups { get; set; }
    public int Memberships { get; set; }
    public double FetchFloor { get; set; }
    public double WriteFloor { get; set; }
    public double FullSync { get; set; }
    public double NoChangeResync { get; set; }
    public int NoChangeEvents { get; set; }
    public double ChurnResync { get; set; }
    public int ChurnEvents { get; set; }
    public string Churn { get; set; } = "";
    public double PeakWorkingSetMb { get; set; }
    public double PeakManagedMb { get; set; }
    public string Collections { get; set; } = "";
    public string MemoryBreakdown { get; set; } = "";
    public double AllocatedMb { get; set; }
    public Dictionary<string, string> Queries { get; } = [];
    public double UsersPageP50Ms { get; set; }
    public double UsersPageP95Ms { get; set; }
    public double SearchP50Ms { get; set; }
    public double SearchP95Ms { get; set; }
    public double CsvSeconds { get; set; }
    public int CsvRows { get; set; }
    public double EvidenceSeconds { get; set; }

    /// <summary>CPU of the connector, the bridge and PostgreSQL per measurement, by the measurement's name.</summary>
    public Dictionary<string, CpuSplit> Cpu { get; } = [];

    public double RatioFullSyncVsFloor => FullSync / (FetchFloor + WriteFloor);

    public double RatioResyncVsFetch => NoChangeResync / FetchFloor;
}

/// <summary>Runs every measurement of one size against a fresh database and a bridge process of that size.</summary>
internal static class Benchmark
{
    private static readonly int LiveProbeMs =
        int.TryParse(Environment.GetEnvironmentVariable("BENCH_LIVE_PROBE_MS"), CultureInfo.InvariantCulture, out var ms) ? ms : 0;

    public static async Task<SizeResult> RunAsync(SizeSpec size, string adminConnectionString, int pageSize, TextWriter log)
    {
        var result = new SizeResult { Size = size };
        // At XL single statements of the sync (and the floor's COPYs) run longer than the service's default command
        // timeout of 120 s; one set in the connection string holds for both (see docs/performance.md).
        await using var database = await BenchmarkDatabase.CreateAsync(adminConnectionString, $"bench_{size.Name.ToLowerInvariant()}", commandTimeoutSeconds: 600);
        var connectionString = database.ConnectionString;
        log.WriteLine($"[{size.Name}] starting a bridge with {size.Users:N0} people and {size.Groups:N0} groups");
        await using var bridge = await BridgeProcess.StartAsync(size.Users, size.Groups, size.MembershipsPerUser, size.EveryoneGroup, maxPageSize: 1000);
        await using var host = new ConnectorHost(connectionString, pageSize);
        var connectionId = await host.RegisterAsync(bridge.Url, bridge.Token);
        var endpoint = new BridgeEndpoint(new Uri(bridge.Url, "/scim"), bridge.Token);
        var client = new ScimClient(host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(ScimSetup.SyncClient));
        var pager = new ScimPager(client, pageSize, int.MaxValue);

        await FetchAsync(pager, endpoint);
        var postgres = await PostgresProcesses.FindAsync(connectionString);
        async Task<double> Measure(string name, Func<Task> action)
        {
            var before = CpuSplit.Now(bridge, postgres);
            var seconds = await Time(action);
            result.Cpu[name] = CpuSplit.Now(bridge, postgres) - before;
            return seconds;
        }

        result.FetchFloor = await Measure("fetch floor", async () => (result.Users, result.Groups, result.Memberships) = await FetchAsync(pager, endpoint));
        log.WriteLine($"[{size.Name}] fetch floor {result.FetchFloor:F2} s ({result.Users:N0} users, {result.Groups:N0} groups, {result.Memberships:N0} memberships)");

        var coordinator = host.Services.GetRequiredService<SyncCoordinator>();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[{size.Name}] before the full sync: working set {Environment.WorkingSet / 1048576.0:F0} MB, managed heap {GC.GetTotalMemory(false) / 1048576.0:F0} MB, GC committed {GC.GetGCMemoryInfo().TotalCommittedBytes / 1048576.0:F0} MB"));
        using (var sampler = new WorkingSetSampler(LiveProbeMs))
        {
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var gcs = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
            result.FullSync = await Measure("full sync", () => SyncAsync(coordinator, connectionId));
            result.AllocatedMb = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1048576.0;
            result.PeakWorkingSetMb = sampler.PeakMb;
            result.PeakManagedMb = sampler.PeakManagedMb;
            result.Collections = $"{GC.CollectionCount(0) - gcs.Item1}/{GC.CollectionCount(1) - gcs.Item2}/{GC.CollectionCount(2) - gcs.Item3}";
            result.MemoryBreakdown = sampler.Breakdown();
        }

        await AssertRun(connectionString, connectionId, expectedUsers: result.Users);
        log.WriteLine($"[{size.Name}] full sync {result.FullSync:F2} s, peak working set {result.PeakWorkingSetMb:F0} MB (managed heap {result.PeakManagedMb:F0} MB), allocated {result.AllocatedMb:F0} MB, gen0/1/2 collections {result.Collections}");
        log.WriteLine($"[{size.Name}] full sync memory: {result.MemoryBreakdown}");

        result.NoChangeResync = await Measure("no-change re-sync", () => SyncAsync(coordinator, connectionId));
        result.NoChangeEvents = await LastRunEvents(connectionString, connectionId);
        log.WriteLine($"[{size.Name}] no-change re-sync {result.NoChangeResync:F2} s, {result.NoChangeEvents} change events");

        result.Churn = await bridge.ChurnAsync(1, seed: 7);
        result.ChurnResync = await Measure("1 % change re-sync", () => SyncAsync(coordinator, connectionId));
        result.ChurnEvents = await LastRunEvents(connectionString, connectionId);
        log.WriteLine($"[{size.Name}] 1 % change re-sync {result.ChurnResync:F2} s, {result.ChurnEvents} change events ({result.Churn})");

        result.WriteFloor = await WriteFloor.MeasureAsync(connectionString, connectionId, pager, endpoint);
        log.WriteLine($"[{size.Name}] write floor {result.WriteFloor:F2} s");
        foreach (var (name, cpu) in result.Cpu)
        {
            log.WriteLine($"[{size.Name}] {name}: {cpu}");
        }

        if (size.MeasureReads)
        {
            await SettleAsync(connectionString);
            await QueryBenchmarks.RunAsync(host, connectionString, connectionId, result, log);
        }

        return result;
    }

    /// <summary>
    /// Drops the write floor's scratch tables and vacuums the directory, so that the reads are timed on a settled
    /// database: otherwise autovacuum works through those 1.1 million fresh rows on the same two cores, at a moment
    /// set by its one-minute nap rather than by the benchmark, which moved a users page's p95 from run to run.
    /// </summary>
    private static async Task SettleAsync(string connectionString)
    {
        await using var db = new NpgsqlConnection(connectionString);
        await db.OpenAsync();
        foreach (var sql in new[]
        {
            "DROP TABLE IF EXISTS floor_users, floor_groups, floor_memberships",
            "VACUUM (ANALYZE) directory_users, directory_groups, memberships, user_history, membership_history, change_events",
        })
        {
            await using var command = new NpgsqlCommand(sql, db) { CommandTimeout = 600 };
            await command.ExecuteNonQueryAsync();
        }
    }

    internal static async Task SyncAsync(SyncCoordinator coordinator, Guid connectionId)
    {
        _ = await coordinator.TryStartAsync(connectionId, SyncTrigger.Manual, CancellationToken.None)
            ?? throw new InvalidOperationException("A sync was already running.");
        await coordinator.WhenIdleAsync();
    }

    internal static async Task AssertRun(string connectionString, Guid connectionId, int expectedUsers)
    {
        await using var db = new NpgsqlConnection(connectionString);
        await db.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT status, users_seen, coalesce(error, '') FROM sync_runs WHERE connection_id = @c ORDER BY started_at DESC LIMIT 1", db);
        command.Parameters.AddWithValue("c", connectionId);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        if (reader.GetString(0) != "succeeded" || reader.GetInt32(1) != expectedUsers)
        {
            throw new InvalidOperationException($"The measured sync did not succeed: {reader.GetString(0)}, {reader.GetInt32(1)} users, {reader.GetString(2)}");
        }
    }

    private static async Task<int> LastRunEvents(string connectionString, Guid connectionId)
    {
        await using var db = new NpgsqlConnection(connectionString);
        await db.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT status, change_events, coalesce(error, '') FROM sync_runs WHERE connection_id = @c ORDER BY started_at DESC LIMIT 1", db);
        command.Parameters.AddWithValue("c", connectionId);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return reader.GetString(0) == "succeeded"
            ? reader.GetInt32(1)
            : throw new InvalidOperationException($"The measured re-sync did not succeed: {reader.GetString(2)}");
    }

    /// <summary>Reads and deserialises every page, as a sync does, keeping nothing.</summary>
    private static async Task<(int Users, int Groups, int Memberships)> FetchAsync(ScimPager pager, BridgeEndpoint endpoint)
    {
        var progress = new NoProgress();
        int users = 0, groups = 0, memberships = 0;
        await foreach (var item in pager.EnumerateAsync(endpoint, "Groups", progress, new EnumerationRecord()))
        {
            var group = ScimGroup.Parse(item.Resource, item.Members);
            groups++;
            memberships += group.Members?.Count ?? 0;
        }

        await foreach (var item in pager.EnumerateAsync(endpoint, "Users", progress, new EnumerationRecord()))
        {
            _ = ScimUser.Parse(item.Resource);
            users++;
        }

        return (users, groups, memberships);
    }

    internal static async Task<double> Time(Func<Task> action)
    {
        var watch = Stopwatch.StartNew();
        await action();
        return watch.Elapsed.TotalSeconds;
    }

    private sealed class NoProgress : IEnumerationProgress
    {
        public void PageRead(string resourceType, int resources)
        {
        }
    }

    /// <summary>
    /// Samples the process working set every few milliseconds; the peak is what a container limit must allow. Beside it,
    /// what the collections that ran during the measurement said: the largest heap a collection left (live objects plus
    /// fragmentation), the most bytes one promoted, and the most memory the GC had committed, so a peak can be split into
    /// live objects, garbage not yet collected and what the process holds beyond the managed heap.
    /// </summary>
    /// <param name="probeLiveEveryMs">
    /// Diagnostics only (<c>BENCH_LIVE_PROBE_MS</c>): when above 0, a blocking full collection every that many
    /// milliseconds, and the heap it leaves, so the live set's peak is measured rather than inferred. It changes what is
    /// measured (no garbage survives long), so runs with it are not comparable with runs without.
    /// </param>
    internal sealed class WorkingSetSampler : IDisposable
    {
        private readonly Thread thread;
        private readonly int startIndex = (int)GC.GetGCMemoryInfo(GCKind.Any).Index;
        private volatile bool stop;
        private long peak;
        private long peakManaged;

        public WorkingSetSampler(int probeLiveEveryMs = 0)
        {
            thread = new Thread(() =>
            {
                long lastIndex = startIndex, lastProbe = Environment.TickCount64, started = Environment.TickCount64;
                while (!stop)
                {
                    var ws = Environment.WorkingSet;
                    if (ws > Interlocked.Read(ref peak))
                    {
                        Interlocked.Exchange(ref peak, ws);
                        PeakCommittedAtPeak = GC.GetGCMemoryInfo(GCKind.Any).TotalCommittedBytes;
                        PeakAtSeconds = (Environment.TickCount64 - started) / 1000.0;
                    }

                    var managed = GC.GetTotalMemory(forceFullCollection: false);
                    if (managed > Interlocked.Read(ref peakManaged))
                    {
                        Interlocked.Exchange(ref peakManaged, managed);
                    }

                    if (probeLiveEveryMs > 0 && Environment.TickCount64 - lastProbe >= probeLiveEveryMs)
                    {
                        GC.Collect(2, GCCollectionMode.Forced, blocking: true);
                        PeakLive = Math.Max(PeakLive, GC.GetTotalMemory(forceFullCollection: false));
                        lastProbe = Environment.TickCount64;
                    }

                    var info = GC.GetGCMemoryInfo(GCKind.Any);
                    if (info.Index != lastIndex)
                    {
                        lastIndex = info.Index;
                        PeakHeapAfterGc = Math.Max(PeakHeapAfterGc, info.HeapSizeBytes);
                        PeakFragmented = Math.Max(PeakFragmented, info.FragmentedBytes);
                        PeakPromoted = Math.Max(PeakPromoted, info.PromotedBytes);
                        PeakCommitted = Math.Max(PeakCommitted, info.TotalCommittedBytes);
                        if (info.Generation == 2)
                        {
                            PeakGen2After = Math.Max(PeakGen2After, info.HeapSizeBytes);
                        }
                    }

                    Thread.Sleep(5);
                }
            })
            { IsBackground = true };
            thread.Start();
        }

        public double PeakMb => Interlocked.Read(ref peak) / 1048576.0;

        public double PeakManagedMb => Interlocked.Read(ref peakManaged) / 1048576.0;

        public long PeakHeapAfterGc { get; private set; }

        public long PeakFragmented { get; private set; }

        public long PeakPromoted { get; private set; }

        public long PeakCommitted { get; private set; }

        public long PeakCommittedAtPeak { get; private set; }

        public long PeakGen2After { get; private set; }

        public long PeakLive { get; private set; }

        /// <summary>When the working set peaked, in seconds from the start of the measurement.</summary>
        public double PeakAtSeconds { get; private set; }

        /// <summary>One line of what the collections said, in MB.</summary>
        public string Breakdown() => string.Create(CultureInfo.InvariantCulture,
            $"working set peaked at {PeakAtSeconds:F1} s; heap after a GC max {PeakHeapAfterGc / 1048576.0:F0} MB (after a gen2 {PeakGen2After / 1048576.0:F0}), promoted max {PeakPromoted / 1048576.0:F0} MB, fragmented max {PeakFragmented / 1048576.0:F0} MB, GC committed max {PeakCommitted / 1048576.0:F0} MB ({PeakCommittedAtPeak / 1048576.0:F0} at the working set's peak){(PeakLive > 0 ? $", live (probed) max {PeakLive / 1048576.0:F0} MB" : "")}");

        public void Dispose()
        {
            stop = true;
            thread.Join();
        }
    }

    public static string Table(SizeResult r)
    {
        var s = new StringBuilder();
        s.AppendLine(CultureInfo.InvariantCulture, $"### Size {r.Size.Name}: {r.Users:N0} users, {r.Groups:N0} groups, {r.Memberships:N0} memberships");
        s.AppendLine();
        s.AppendLine("| measurement | result | notes |");
        s.AppendLine("|---|---:|---|");
        s.AppendLine(CultureInfo.InvariantCulture, $"| fetch floor (read + deserialise every page) | {r.FetchFloor:F2} s | |");
        s.AppendLine(CultureInfo.InvariantCulture, $"| write floor (binary COPY into empty tables) | {r.WriteFloor:F2} s | |");
        s.AppendLine(CultureInfo.InvariantCulture, $"| full sync into an empty database | {r.FullSync:F2} s | {r.RatioFullSyncVsFloor:F2} × (fetch + write floor) |");
        s.AppendLine(CultureInfo.InvariantCulture, $"| no-change re-sync | {r.NoChangeResync:F2} s | {r.RatioResyncVsFetch:F2} × fetch floor; {r.NoChangeEvents} change events |");
        s.AppendLine(CultureInfo.InvariantCulture, $"| 1 % change re-sync | {r.ChurnResync:F2} s | {r.ChurnEvents:N0} change events; bridge churn {r.Churn} |");
        s.AppendLine(CultureInfo.InvariantCulture, $"| peak working set during the full sync | {r.PeakWorkingSetMb:F0} MB | whole connector process |");
        s.AppendLine(CultureInfo.InvariantCulture, $"| peak managed heap during the full sync | {r.PeakManagedMb:F0} MB | live and not yet collected objects |");
        s.AppendLine(CultureInfo.InvariantCulture, $"| allocated during the full sync | {r.AllocatedMb:F0} MB | |");
        foreach (var (name, value) in r.Queries)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {value} | |");
        }

        s.AppendLine();
        s.AppendLine("| CPU-seconds during | connector | bridge | PostgreSQL |");
        s.AppendLine("|---|---:|---:|---:|");
        foreach (var (name, cpu) in r.Cpu)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {cpu.Connector:F2} | {cpu.Bridge:F2} | {cpu.Database:F2} |");
        }

        return s.ToString();
    }
}
