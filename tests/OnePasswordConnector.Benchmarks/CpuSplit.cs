using System.Globalization;
using Npgsql;

namespace OnePasswordConnector.Benchmarks;

/// <summary>
/// CPU time of the three processes a sync keeps busy: the connector (this process), the demo bridge and PostgreSQL.
/// Process time, unlike wall time, holds on a machine shared with other work, and it shows which one bounds a figure.
/// </summary>
internal sealed record CpuSplit(double Connector, double Bridge, double Database)
{
    public static CpuSplit Now(BridgeProcess? bridge, PostgresProcesses postgres)
    {
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        return new CpuSplit(self.TotalProcessorTime.TotalSeconds, bridge?.CpuSeconds() ?? 0, postgres.CpuSeconds());
    }

    public static CpuSplit operator -(CpuSplit after, CpuSplit before) =>
        new(after.Connector - before.Connector, after.Bridge - before.Bridge, after.Database - before.Database);

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"CPU-s connector {Connector:F2}, bridge {Bridge:F2}, PostgreSQL {Database:F2}");
}

/// <summary>The PostgreSQL server's processes on this machine: the postmaster and its children, read from /proc.</summary>
internal sealed class PostgresProcesses(int postmaster)
{
    // Linux reports process times in clock ticks of 1/100 s (USER_HZ) on every architecture .NET runs on.
    private const double TicksPerSecond = 100;

    public static async Task<PostgresProcesses> FindAsync(string connectionString)
    {
        await using var db = new NpgsqlConnection(connectionString);
        await db.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT current_setting('data_directory')", db);
        var directory = (string)(await command.ExecuteScalarAsync())!;
        var pid = int.Parse((await File.ReadAllLinesAsync(Path.Combine(directory, "postmaster.pid")))[0], CultureInfo.InvariantCulture);
        return new PostgresProcesses(pid);
    }

    /// <summary>User and system time of the postmaster, of its children that exited, and of those still running.</summary>
    public double CpuSeconds()
    {
        double ticks = 0;
        foreach (var (pid, stat) in Directory.EnumerateDirectories("/proc")
            .Select(d => (Pid: int.TryParse(Path.GetFileName(d), CultureInfo.InvariantCulture, out var pid) ? pid : 0, Stat: Path.Combine(d, "stat")))
            .Where(p => p.Pid > 0))
        {
            string[] fields;
            try
            {
                var text = File.ReadAllText(stat);
                fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            // After "pid (comm) ": state, ppid, ..., utime at 11, stime 12, cutime 13, cstime 14 (0-based).
            var parent = int.Parse(fields[1], CultureInfo.InvariantCulture);
            if (pid == postmaster)
            {
                ticks += fields[11..15].Sum(f => double.Parse(f, CultureInfo.InvariantCulture));
            }
            else if (parent == postmaster)
            {
                ticks += fields[11..13].Sum(f => double.Parse(f, CultureInfo.InvariantCulture));
            }
        }

        return ticks / TicksPerSecond;
    }
}
