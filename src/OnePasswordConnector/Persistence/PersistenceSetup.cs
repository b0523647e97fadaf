using System.ComponentModel.DataAnnotations;
using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace OnePasswordConnector.Persistence;

internal sealed class DatabaseOptions
{
    public const string Section = "Database";

    /// <summary>Apply pending EF Core migrations at start-up. Turn off where deployments migrate separately.</summary>
    public bool MigrateOnStartup { get; set; } = true;

    [Range(1, 600)]
    public int CommandTimeoutSeconds { get; set; } = 120;
}

internal static class PersistenceSetup
{
    public static IServiceCollection AddPersistence(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        var connectionString = configuration.GetConnectionString("Postgres");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                "ConnectionStrings:Postgres is not set. Set ConnectionStrings__Postgres, or start the service with scripts/run.sh, which starts a local PostgreSQL.");
        }

        services.AddSingleton(sp =>
        {
            var builder = new NpgsqlDataSourceBuilder(connectionString) { Name = "connector" };
            var settings = builder.ConnectionStringBuilder;
            var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
            if (!given.ContainsKey("Timeout"))
            {
                // With the database down, the API should answer 503 in seconds rather than wait Npgsql's default 15 s.
                settings.Timeout = 5;
            }

            if (!given.ContainsKey("Command Timeout") && !given.ContainsKey("CommandTimeout"))
            {
                // The sync's own SQL and COPY run on this data source, not through EF Core: the setting holds for both.
                settings.CommandTimeout = sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.CommandTimeoutSeconds;
            }

            return builder.Build();
        });
        services.AddDbContext<ConnectorDbContext>((sp, options) =>
        {
            var db = sp.GetRequiredService<IOptions<DatabaseOptions>>().Value;
            options.UseNpgsql(sp.GetRequiredService<NpgsqlDataSource>(), npgsql => npgsql.CommandTimeout(db.CommandTimeoutSeconds))
                .UseSnakeCaseNamingConvention();
        });
        services.AddHealthChecks().AddDbContextCheck<ConnectorDbContext>("postgres", tags: ["ready"]);
        return services;
    }
}
