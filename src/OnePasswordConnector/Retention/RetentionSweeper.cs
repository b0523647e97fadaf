using Microsoft.Extensions.Options;
using Npgsql;
using OnePasswordConnector.Persistence;

namespace OnePasswordConnector.Retention;

/// <summary>
/// Prunes history older than <c>Retention:HistoryDays</c> on every replica, in small batches. Point-in-time answers
/// from within the window stay exact: only versions, memberships and removed rows that ended before it go, and the
/// change events, runs and provisioning reports recorded before it (each connection keeps its latest run and report).
/// </summary>
internal sealed class RetentionSweeper(
    NpgsqlDataSource db,
    IOptions<RetentionOptions> options,
    TimeProvider time,
    ILogger<RetentionSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }

        var interval = TimeSpan.FromMinutes(options.Value.SweepMinutes);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, time, stoppingToken);
                await PruneAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                logger.LogWarning("Pruning history failed ({Error}); the next sweep tries again in {SweepMinutes} min", ex.Message, options.Value.SweepMinutes);
            }
        }
    }

    /// <summary>One sweep: every table, batch after batch, until nothing older than the window is left. Returns rows deleted per table.</summary>
    internal async Task<IReadOnlyDictionary<string, long>> PruneAsync(CancellationToken cancellationToken)
    {
        var cutoff = PostgresTime.Microseconds(time.GetUtcNow().AddDays(-options.Value.HistoryDays));
        var deleted = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var session = await db.OpenConnectionAsync(cancellationToken);
        foreach (var (table, sql) in RetentionSql.Statements)
        {
            long total = 0;
            int batch;
            do
            {
                await using var command = new NpgsqlCommand(sql, session);
                command.Parameters.AddWithValue("cutoff", cutoff);
                command.Parameters.AddWithValue("batch", options.Value.BatchSize);
                batch = await command.ExecuteNonQueryAsync(cancellationToken);
                total += batch;
            }
            while (batch > 0);

            deleted[table] = total;
        }

        if (deleted.Values.Sum() > 0)
        {
            logger.LogInformation("Pruned history recorded before {Cutoff}: {Deleted}", cutoff, deleted.Where(d => d.Value > 0).ToDictionary());
        }

        return deleted;
    }
}

internal static class RetentionSetup
{
    public static IServiceCollection AddRetention(this IServiceCollection services)
    {
        services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<RetentionSweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<RetentionSweeper>());
        return services;
    }
}
