using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OnePasswordConnector.Persistence;
using OnePasswordConnector.Sync;

namespace OnePasswordConnector.Benchmarks;

/// <summary>What one directory costs to keep: rows and bytes per table, CPU per sync, growth per day of churn.</summary>
internal sealed class CapacityResult
{
    public int Users { get; set; }
    public int Memberships { get; set; }
    public double SyncCpuSeconds { get; set; }
    public double SyncDatabaseCpuSeconds { get; set; }
    public double ResyncCpuSeconds { get; set; }
    public double ResyncDatabaseCpuSeconds { get; set; }
    public double ChurnResyncCpuSeconds { get; set; }
    public double ChurnResyncDatabaseCpuSeconds { get; set; }
    public int ChurnEvents { get; set; }
    public List<(string Table, long Rows, long Bytes)> Tables { get; } = [];
    public long BytesAfterSync { get; set; }
    public long GrowthPerChurnDay { get; set; }

    public double BytesPerUser => Share("directory_users", "user_history") / (double)Users;

    public double BytesPerMembership => Share("memberships", "membership_history") / (double)Memberships;

    public double Per10k(double value) => value * 10_000 / Users;

    private long Share(params string[] tables) => Tables.Where(t => tables.Contains(t.Table)).Sum(t => t.Bytes);
}

/// <summary>
/// The figures the capacity plan in docs/operations.md is computed from. CPU is process time (the connector's, and every
/// PostgreSQL process's from /proc), not wall time, so that it holds on a machine shared with other work.
/// </summary>
internal static class CapacityBenchmark
{
    public static async Task<CapacityResult> RunAsync(int users, string adminConnectionString, TextWriter log)
    {
        var result = new CapacityResult();
        await using var database = await BenchmarkDatabase.CreateAsync(adminConnectionString, "capacity");
        var connectionString = database.ConnectionString;
        await using var bridge = await BridgeProcess.StartAsync(users, Math.Max(3, users / 20), 4, everyone: true, maxPageSize: 1000);
        await using var host = new ConnectorHost(connectionString, pageSize: 100);
        var connectionId = await host.RegisterAsync(bridge.Url, bridge.Token);
        var coordinator = host.Services.GetRequiredService<SyncCoordinator>();
        var postgres = await PostgresProcesses.FindAsync(connectionString);

        (result.SyncCpuSeconds, result.SyncDatabaseCpuSeconds) = await CpuAsync(postgres, () => Benchmark.SyncAsync(coordinator, connectionId));
        await TablesAsync(connectionString, result);
        result.Users = (int)result.Tables.Single(t => t.Table == "directory_users").Rows;
        result.Memberships = (int)result.Tables.Single(t => t.Table == "memberships").Rows;
        result.BytesAfterSync = result.Tables.Sum(t => t.Bytes);
        log.WriteLine($"[capacity] full sync of {result.Users:N0} users: {result.SyncCpuSeconds:F1} CPU-s connector, {result.SyncDatabaseCpuSeconds:F1} CPU-s PostgreSQL");

        (result.ResyncCpuSeconds, result.ResyncDatabaseCpuSeconds) = await CpuAsync(postgres, () => Benchmark.SyncAsync(coordinator, connectionId));
        await bridge.ChurnAsync(1, seed: 11);
        (result.ChurnResyncCpuSeconds, result.ChurnResyncDatabaseCpuSeconds) = await CpuAsync(postgres, () => Benchmark.SyncAsync(coordinator, connectionId));
        result.ChurnEvents = await ScalarAsync(connectionString, "SELECT change_events FROM sync_runs ORDER BY started_at DESC LIMIT 1");
        var before = result.Tables.ToList();
        result.Tables.Clear();
        await TablesAsync(connectionString, result);
        result.GrowthPerChurnDay = result.Tables.Sum(t => t.Bytes) - before.Sum(t => t.Bytes);
        log.WriteLine($"[capacity] 1 % churn: {result.ChurnEvents} change events, {result.GrowthPerChurnDay / 1024.0:F0} KiB more on disk");

        return result;
    }

    public static string Table(CapacityResult r)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"| table | rows | bytes |");
        text.AppendLine("|---|---:|---:|");
        foreach (var (table, rows, bytes) in r.Tables.OrderByDescending(t => t.Bytes))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {table} | {rows:N0} | {bytes:N0} |");
        }

        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"capacity_bytes_per_user={r.BytesPerUser:F0} capacity_bytes_per_membership={r.BytesPerMembership:F0} capacity_bytes_total_per_user={r.BytesAfterSync / (double)r.Users:F0} capacity_growth_bytes_per_user_per_1pct_churn={r.GrowthPerChurnDay / (double)r.Users:F1}");
        text.Append(CultureInfo.InvariantCulture,
            $"capacity_cpu_s_per_10k_full={r.Per10k(r.SyncCpuSeconds):F2} capacity_db_cpu_s_per_10k_full={r.Per10k(r.SyncDatabaseCpuSeconds):F2} capacity_cpu_s_per_10k_resync={r.Per10k(r.ResyncCpuSeconds):F2} capacity_db_cpu_s_per_10k_resync={r.Per10k(r.ResyncDatabaseCpuSeconds):F2} capacity_cpu_s_per_10k_churn={r.Per10k(r.ChurnResyncCpuSeconds):F2} capacity_db_cpu_s_per_10k_churn={r.Per10k(r.ChurnResyncDatabaseCpuSeconds):F2}");
        return text.ToString();
    }

    private static async Task<(double Connector, double Database)> CpuAsync(PostgresProcesses postgres, Func<Task> action)
    {
        var process = System.Diagnostics.Process.GetCurrentProcess();
        var (cpu, db) = (process.TotalProcessorTime, postgres.CpuSeconds());
        await action();
        process.Refresh();
        return ((process.TotalProcessorTime - cpu).TotalSeconds, postgres.CpuSeconds() - db);
    }

    private static async Task TablesAsync(string connectionString, CapacityResult result)
    {
        await Execute(connectionString, "VACUUM ANALYZE");
        await using var db = new NpgsqlConnection(connectionString);
        await db.OpenAsync();
        var tables = new List<(string, long)>();
        await using (var list = new NpgsqlCommand(
            "SELECT relname, pg_total_relation_size(relid) FROM pg_stat_user_tables WHERE relname NOT LIKE '%EFMigrations%' ORDER BY relname", db))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add((reader.GetString(0), reader.GetInt64(1)));
            }
        }

        foreach (var (table, bytes) in tables)
        {
            await using var count = new NpgsqlCommand($"SELECT count(*) FROM \"{table}\"", db);
            result.Tables.Add((table, (long)(await count.ExecuteScalarAsync())!, bytes));
        }
    }

    private static async Task<int> ScalarAsync(string connectionString, string sql)
    {
        await using var db = new NpgsqlConnection(connectionString);
        await db.OpenAsync();
        await using var command = new NpgsqlCommand(sql, db);
        return Convert.ToInt32(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    private static async Task Execute(string connectionString, string sql)
    {
        await using var db = new NpgsqlConnection(connectionString);
        await db.OpenAsync();
        await using var command = new NpgsqlCommand(sql, db);
        await command.ExecuteNonQueryAsync();
    }
}
