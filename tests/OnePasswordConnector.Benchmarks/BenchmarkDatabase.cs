using Npgsql;

namespace OnePasswordConnector.Benchmarks;

/// <summary>A database of its own for one measurement, dropped afterwards with whatever is still connected to it.</summary>
internal sealed class BenchmarkDatabase : IAsyncDisposable
{
    private readonly string adminConnectionString;
    private readonly string name;

    private BenchmarkDatabase(string adminConnectionString, string name, string connectionString)
    {
        this.adminConnectionString = adminConnectionString;
        this.name = name;
        ConnectionString = connectionString;
    }

    public string ConnectionString { get; }

    /// <param name="commandTimeoutSeconds">0 keeps the service's own setting.</param>
    public static async Task<BenchmarkDatabase> CreateAsync(string adminConnectionString, string prefix, int commandTimeoutSeconds = 0)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..30];
        await ExecuteAsync(adminConnectionString, $"CREATE DATABASE {name}");
        var builder = new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = name };
        if (commandTimeoutSeconds > 0)
        {
            builder.CommandTimeout = commandTimeoutSeconds;
        }

        return new BenchmarkDatabase(adminConnectionString, name, builder.ConnectionString);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await ExecuteAsync(adminConnectionString, $"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
