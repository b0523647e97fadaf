using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Npgsql;

namespace OnePasswordConnector.Sync;

/// <summary>
/// Starts syncs under a lease on the connection row, so that across every replica one connection has at most one
/// sync at a time, whether started by hand or by the scheduler. Running syncs are cancelled on shutdown and their
/// leases released; a replica that dies leaves a lease that expires, and its run is then marked abandoned.
/// </summary>
internal sealed class SyncCoordinator(
    NpgsqlDataSource db,
    SyncRunner runner,
    IOptions<SyncOptions> options,
    TimeProvider time,
    ILogger<SyncCoordinator> logger) : IHostedService, IDisposable
{
    private readonly ConcurrentDictionary<Guid, Task> running = new();
    private readonly CancellationTokenSource stopping = new();

    /// <summary>This replica's name on the leases it holds.</summary>
    public string Owner { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";

    public int RunningCount => running.Count;

    /// <summary>Claims the connection and opens a run; null when a sync of it is already running anywhere.</summary>
    public async Task<Guid?> TryStartAsync(Guid connectionId, SyncTrigger trigger, CancellationToken cancellationToken)
    {
        var now = SyncRunner.Microseconds(time.GetUtcNow());
        var runId = Guid.CreateVersion7(now);
        await using (var session = await db.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await session.BeginTransactionAsync(cancellationToken))
        {
            await using (var claim = new NpgsqlCommand("""
                UPDATE connections SET lease_owner = @owner, lease_expires_at = @expires
                WHERE id = @c AND (lease_owner IS NULL OR lease_expires_at < @t)
                """, session, transaction))
            {
                claim.Parameters.AddWithValue("owner", Owner);
                claim.Parameters.AddWithValue("expires", now.AddSeconds(options.Value.LeaseSeconds));
                claim.Parameters.AddWithValue("c", connectionId);
                claim.Parameters.AddWithValue("t", now);
                if (await claim.ExecuteNonQueryAsync(cancellationToken) == 0)
                {
                    return null;
                }
            }

            await using (var open = new NpgsqlCommand("""
                UPDATE sync_runs SET status = 'abandoned', finished_at = @t,
                    error = 'The replica running this sync stopped answering; its lease expired.'
                WHERE connection_id = @c AND status = 'running';
                INSERT INTO sync_runs (id, connection_id, trigger, status, started_at, owner, pages_read, resources_read,
                    users_seen, users_added, users_changed, users_removed, groups_seen, groups_added, groups_changed, groups_removed,
                    memberships_seen, memberships_added, memberships_removed, change_events)
                VALUES (@r, @c, @trigger, 'running', @t, @owner, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
                UPDATE connections SET last_sync_run_id = @r, last_sync_status = 'running' WHERE id = @c;
                """, session, transaction))
            {
                open.Parameters.AddWithValue("r", runId);
                open.Parameters.AddWithValue("c", connectionId);
                open.Parameters.AddWithValue("t", now);
                open.Parameters.AddWithValue("owner", Owner);
                open.Parameters.AddWithValue("trigger", trigger.ToString().ToLowerInvariant());
                await open.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }

        logger.LogInformation("Started {Trigger} sync {RunId} of connection {ConnectionId}", trigger, runId, connectionId);
        running[runId] = Task.Run(() => RunAsync(runId, connectionId), CancellationToken.None);
        return runId;
    }

    private async Task RunAsync(Guid runId, Guid connectionId)
    {
        using var lease = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
        var renewing = RenewLeaseAsync(connectionId, lease);
        try
        {
            await runner.RunAsync(runId, connectionId, lease.Token);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Sync {RunId} of connection {ConnectionId} crashed", runId, connectionId);
        }
        finally
        {
            await lease.CancelAsync();
            await renewing;
            await ReleaseAsync(connectionId);
            running.TryRemove(runId, out _);
        }
    }

    /// <summary>Renews the lease while the sync runs; if it was lost (another replica took over), the sync stops.</summary>
    private async Task RenewLeaseAsync(Guid connectionId, CancellationTokenSource lease)
    {
        var every = TimeSpan.FromSeconds(Math.Max(1, options.Value.LeaseSeconds / 3));
        try
        {
            while (!lease.IsCancellationRequested)
            {
                await Task.Delay(every, time, lease.Token);
                await using var renew = db.CreateCommand(
                    "UPDATE connections SET lease_expires_at = @expires WHERE id = @c AND lease_owner = @owner");
                renew.Parameters.AddWithValue("expires", time.GetUtcNow().AddSeconds(options.Value.LeaseSeconds));
                renew.Parameters.AddWithValue("c", connectionId);
                renew.Parameters.AddWithValue("owner", Owner);
                if (await renew.ExecuteNonQueryAsync(lease.Token) == 0)
                {
                    logger.LogWarning("Lost the lease on connection {ConnectionId}; stopping its sync", connectionId);
                    await lease.CancelAsync();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (NpgsqlException ex)
        {
            logger.LogWarning("Could not renew the lease on connection {ConnectionId}: {Error}", connectionId, ex.Message);
        }
    }

    private async Task ReleaseAsync(Guid connectionId)
    {
        try
        {
            await using var release = db.CreateCommand(
                "UPDATE connections SET lease_owner = NULL, lease_expires_at = NULL WHERE id = @c AND lease_owner = @owner");
            release.Parameters.AddWithValue("c", connectionId);
            release.Parameters.AddWithValue("owner", Owner);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (NpgsqlException ex)
        {
            logger.LogWarning("Could not release the lease on connection {ConnectionId}; it expires on its own: {Error}", connectionId, ex.Message);
        }
    }

    /// <summary>Waits for running syncs to finish (tests use it; the API never blocks on a sync).</summary>
    public Task WhenIdleAsync() => Task.WhenAll(running.Values);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => stopping.Dispose();

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await stopping.CancelAsync();
        await Task.WhenAny(Task.WhenAll(running.Values), Task.Delay(Timeout.Infinite, cancellationToken));
    }
}
