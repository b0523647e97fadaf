using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OnePasswordConnector.TestSupport;

namespace OnePasswordConnector.IntegrationTests.Hosting;

/// <summary>A service whose database commands may run at most 7 seconds.</summary>
public sealed class ShortCommandTimeoutApp : ConnectorApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings => [new("Database:CommandTimeoutSeconds", "7")];
}

public sealed class DatabaseTimeoutTests(ShortCommandTimeoutApp app) : IClassFixture<ShortCommandTimeoutApp>
{
    [Fact]
    public async Task Database_CommandTimeoutSeconds_holds_for_the_syncs_own_sql_and_copy_not_only_for_ef_core()
    {
        var dataSource = app.Services.GetRequiredService<NpgsqlDataSource>();
        await using var command = dataSource.CreateCommand("SELECT 1");
        await using var connection = await dataSource.OpenConnectionAsync();

        Assert.Equal(7, command.CommandTimeout);
        Assert.Equal(7, connection.CommandTimeout);
    }
}
