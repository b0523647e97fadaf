using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OnePasswordConnector.Persistence;

namespace OnePasswordConnector.Tests.Persistence;

/// <summary>The data source's timeouts: the service's defaults, unless the connection string sets its own.</summary>
public sealed class DataSourceSettingsTests
{
    [Theory]
    [InlineData("Host=db.example;Username=connector", 5, 120)]
    [InlineData("Host=db.example;Username=connector;Command Timeout=30", 5, 30)]
    [InlineData("Host=db.example;Username=connector;CommandTimeout=30", 5, 30)]
    [InlineData("Host=db.example;Username=connector;Timeout=20", 20, 120)]
    [InlineData("Host=db.example;Username=connector;timeout=20;command timeout=30", 20, 30)]
    public void A_timeout_the_connection_string_sets_is_kept_and_only_the_ones_it_leaves_out_get_the_defaults(
        string connectionString, int connectSeconds, int commandSeconds)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("ConnectionStrings:Postgres", connectionString)]).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddPersistence(configuration);
        using var provider = services.BuildServiceProvider();

        var settings = new NpgsqlConnectionStringBuilder(provider.GetRequiredService<NpgsqlDataSource>().ConnectionString);

        Assert.Equal(connectSeconds, settings.Timeout);
        Assert.Equal(commandSeconds, settings.CommandTimeout);
    }
}
