using Npgsql;

namespace OnePasswordConnector.TestSupport;

/// <summary>
/// The PostgreSQL server the suite runs against (scripts/test.sh starts one). Each test class gets a database of its
/// own, so classes run in parallel. Without a server the tests fail, loudly: they never skip.
/// </summary>
public static class TestDatabase
{
    public const string Variable = "ONEPASSWORDCONNECTOR_TEST_POSTGRES";

    public static string AdminConnectionString =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"These tests need PostgreSQL and none is configured: run scripts/test.sh (it starts a throwaway server), " +
                $"or set {Variable} to an admin connection string, e.g. Host=127.0.0.1;Port=5432;Username=postgres.");

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public static async Task<string> CreateAsync(string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(63, prefix.Length + 33)].ToLowerInvariant();
        await using var admin = new NpgsqlConnection(AdminConnectionString);
        try
        {
            await admin.OpenAsync();
        }
        catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException)
        {
            throw new InvalidOperationException(
                $"Cannot reach the test PostgreSQL server named by {Variable}: {ex.Message}. Run the suite with scripts/test.sh.", ex);
        }

        await using (var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin))
        {
            await create.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name, MaxPoolSize = 30 }.ConnectionString;
    }

    public static async Task DropAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(AdminConnectionString);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }
}
