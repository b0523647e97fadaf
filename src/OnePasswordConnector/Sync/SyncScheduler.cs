using Microsoft.Extensions.Options;

namespace OnePasswordConnector.Sync;

/// <summary>
/// Starts scheduled syncs on every replica. Each pass first abandons runs whose replica died (their lease expired) and
/// purges deleted connections that no sync holds (so a replica that died never leaves them behind), then claims due connections through <see cref="SyncCoordinator"/>, whose lease makes replicas, and manual and scheduled
/// syncs, mutually exclusive per connection. A busy replica simply claims less: the others take the rest.
/// </summary>
internal sealed class SyncScheduler(
    SyncCoordinator coordinator,
    IOptions<SchedulerOptions> options,
    TimeProvider time,
    ILogger<SyncScheduler> logger) : BackgroundService
{
    // Passes of one replica never overlap (the loop and a test may both ask for one), so slot counts stay exact.
    private readonly SemaphoreSlim pass = new(1, 1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            logger.LogInformation("The sync scheduler is disabled on this replica");
            return;
        }

        logger.LogInformation("The sync scheduler polls every {PollSeconds} s with {MaxConcurrentSyncs} slots, {MaxConcurrentPerTenant} per tenant",
            options.Value.PollSeconds, options.Value.MaxConcurrentSyncs, options.Value.MaxConcurrentPerTenant);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken);
                await Task.Delay(TimeSpan.FromSeconds(options.Value.PollSeconds), time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // A database hiccup must not end the scheduler: the next pass tries again.
                logger.LogError(ex, "A scheduler pass failed; retrying in {PollSeconds} s", options.Value.PollSeconds);
                await Task.Delay(TimeSpan.FromSeconds(options.Value.PollSeconds), time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>One pass: abandon dead runs, purge deleted connections, then start as many due syncs as there are free slots. Returns the runs started.</summary>
    internal async Task<IReadOnlyList<Guid>> RunOnceAsync(CancellationToken cancellationToken)
    {
        await pass.WaitAsync(cancellationToken);
        try
        {
            await coordinator.AbandonExpiredAsync(cancellationToken);
            await coordinator.PurgeDeletedAsync(null, cancellationToken);
            var free = options.Value.MaxConcurrentSyncs - coordinator.RunningCount;
            return free <= 0 ? [] : await coordinator.StartDueAsync(free, options.Value.MaxConcurrentPerTenant, cancellationToken);
        }
        finally
        {
            pass.Release();
        }
    }

    public override void Dispose()
    {
        pass.Dispose();
        base.Dispose();
    }
}
