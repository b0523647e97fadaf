using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace OnePasswordConnector.Persistence;

/// <summary>
/// Applies the schema's EF Core migrations: at start-up (<c>Database:MigrateOnStartup</c>) or as the
/// <c>migrate</c> command, which a deployment runs once before rolling out replicas. Either way it refuses a database
/// that a newer version of the service has migrated, rather than run against a schema it does not know.
/// </summary>
internal static class DatabaseMigrations
{
    /// <summary>The first command-line argument that runs the service as the migrate command.</summary>
    public const string Command = "migrate";

    public static async Task MigrateDatabaseAsync(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value.MigrateOnStartup)
        {
            await MigrateAsync(app.Services, app.Lifetime.ApplicationStopping);
        }
    }

    /// <summary><c>OnePasswordConnector migrate</c>: applies pending migrations and exits; 0 when the schema is current.</summary>
    public static async Task<int> RunMigrateCommandAsync(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("OnePasswordConnector.Migrate");
        try
        {
            var applied = await MigrateAsync(app.Services, CancellationToken.None);
            if (applied.Count == 0)
            {
                logger.LogInformation("The database schema is up to date: no migration to apply");
            }
            else
            {
                logger.LogInformation("Applied {MigrationCount} migrations: {Migrations}", applied.Count, applied);
            }

            return 0;
        }
        catch (DatabaseNewerThanServiceException ex)
        {
            logger.LogError("{Refusal}", ex.Message);
            return 2;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            logger.LogError("The migrations could not be applied: the database failed ({Error})", ex.Message);
            return 1;
        }
    }

    private static async Task<IReadOnlyList<string>> MigrateAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ConnectorDbContext>();
        // EF reads the history table before creating it and logs that failed read as an error on every fresh
        // database; creating it first (the same shape EF creates) keeps a clean start from looking like a broken one.
        await db.Database.ExecuteSqlRawAsync(
            "CREATE TABLE IF NOT EXISTS \"__EFMigrationsHistory\" (migration_id character varying(150) NOT NULL PRIMARY KEY, product_version character varying(32) NOT NULL)",
            cancellationToken);
        var known = db.Database.GetMigrations().ToHashSet(StringComparer.Ordinal);
        var unknown = (await db.Database.GetAppliedMigrationsAsync(cancellationToken)).Where(m => !known.Contains(m)).ToList();
        if (unknown.Count > 0)
        {
            throw new DatabaseNewerThanServiceException(
                $"The database was migrated by a newer version of the service ({string.Join(", ", unknown)} is unknown to this one), so this version refuses to run against it. Deploy the newer version, or restore the database from before that migration.");
        }

        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        await db.Database.MigrateAsync(cancellationToken);
        return pending;
    }
}

internal sealed class DatabaseNewerThanServiceException(string message) : InvalidOperationException(message);
