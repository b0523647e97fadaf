using System.Diagnostics;
using Npgsql;
using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.ReliabilityTests.Database;

/// <summary>
/// A PostgreSQL server of the test's own, started and stopped with the repository's scripts/lib/postgres.sh, so a
/// test can take the database away in the middle of a sync and bring it back.
/// </summary>
public sealed class OwnPostgres : IAsyncDisposable
{
    private readonly string dataDir;
    private readonly int port;

    private OwnPostgres(string dataDir, int port)
    {
        this.dataDir = dataDir;
        this.port = port;
    }

    public string AdminConnectionString => $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Timeout=3";

    public static async Task<OwnPostgres> StartAsync()
    {
        var root = Directory.CreateTempSubdirectory("opc-own-pg-").FullName;
        if (!OperatingSystem.IsWindows())
        {
            // 0755, so the unprivileged postgres user can reach its data directory.
            File.SetUnixFileMode(root, (UnixFileMode)0x1ED);
        }
        var port = int.Parse(await Script("pg_free_port"), System.Globalization.CultureInfo.InvariantCulture);
        var server = new OwnPostgres(Path.Combine(root, "cluster"), port);
        await server.StartAgainAsync();
        return server;
    }

    public Task StartAgainAsync() => Script($"pg_start '{dataDir}' {port} -c fsync=off -c max_connections=200");

    /// <summary>Stops the server at once, as a crash or a failover would: open connections are cut.</summary>
    public Task StopAsync() => Script($"pg_as_owner \"$(pg_bin_dir)/pg_ctl\" -D '{dataDir}' -m immediate -w stop");

    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using var admin = new NpgsqlConnection(AdminConnectionString);
        await admin.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin);
        await create.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ConnectionString;
    }

    public async ValueTask DisposeAsync()
    {
        await Script($"pg_stop '{dataDir}'");
        Directory.Delete(Path.GetDirectoryName(dataDir)!, recursive: true);
    }

    private static async Task<string> Script(string command)
    {
        var library = Path.Combine(RunScript.RepositoryRoot(), "scripts", "lib", "postgres.sh");
        var start = new ProcessStartInfo("bash")
        {
            ArgumentList = { "-c", $"source '{library}' && {command}" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{command}' failed ({process.ExitCode}): {await error}");
        }

        return (await output).Trim();
    }
}
