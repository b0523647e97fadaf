using System.Diagnostics;
using Npgsql;
using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.IntegrationTests.Hosting;

/// <summary>
/// <c>OnePasswordConnector migrate</c>, the command the Kubernetes Job and the compose file run before the replicas
/// start: it applies what is pending, does nothing on a current schema, and refuses a schema from a newer version.
/// </summary>
public sealed class MigrateCommandTests : IAsyncLifetime
{
    private string database = "";

    public async Task InitializeAsync() => database = await TestDatabase.CreateAsync("migrate");

    public Task DisposeAsync() => TestDatabase.DropAsync(database);

    [Fact]
    public async Task Migrate_applies_every_migration_to_an_empty_database_then_finds_nothing_to_do()
    {
        var first = await MigrateAsync();
        Assert.True(first.ExitCode == 0, first.Output);
        Assert.Contains("Applied", first.Output, StringComparison.Ordinal);
        Assert.True(await CountAsync("SELECT count(*) FROM \"__EFMigrationsHistory\"") > 0);
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM connections"));

        var second = await MigrateAsync();
        Assert.True(second.ExitCode == 0, second.Output);
        Assert.Contains("up to date: no migration to apply", second.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_refuses_a_database_that_a_newer_version_migrated()
    {
        Assert.Equal(0, (await MigrateAsync()).ExitCode);
        await CountAsync("INSERT INTO \"__EFMigrationsHistory\" VALUES ('29991231000000_FromTheFuture', '99.0.0') RETURNING 1");

        var refused = await MigrateAsync();

        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("migrated by a newer version of the service (29991231000000_FromTheFuture", refused.Output, StringComparison.Ordinal);

        await using var replica = new ReplicaOn(database);
        var start = Assert.ThrowsAny<InvalidOperationException>(() => replica.Services);
        Assert.Contains("migrated by a newer version of the service", start.Message, StringComparison.Ordinal);
    }

    /// <summary>A replica that migrates at start-up, on this test's database.</summary>
    private sealed class ReplicaOn : ConnectorApp
    {
        public ReplicaOn(string database) => SetConnectionString(database);

        protected override Task DropDatabaseAsync() => Task.CompletedTask;
    }

    private async Task<int> CountAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt32(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Runs the service's own binary with the migrate command, as a deployment does.</summary>
    private async Task<(int ExitCode, string Output)> MigrateAsync()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "OnePasswordConnector.dll"), "migrate" },
            Environment =
            {
                ["ConnectionStrings__Postgres"] = database,
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
            },
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }
}
