using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Npgsql;
using OnePasswordConnector.Persistence;

namespace OnePasswordConnector.Sync;

/// <summary>
/// Starts syncs under a lease on the connection row, so that across every replica one connection has at most one
/// sync at a time, whether started by hand or by the scheduler. Running syncs are cancelled on shutdown and their
/// leases released; a replica that dies leaves a lease that expires, and its run is then marked abandoned.
/// A run is also stopped when someone asks through the database (an admin's cancel, or its connection's DELETE), on
/// whichever replica holds it: each replica checks for such requests about its own runs every second.
/// </summary>
internal sealed class SyncCoordinator(
    NpgsqlDataSource db,
    SyncRunner runner,
    SyncLeases leases,
    SyncMetrics metrics,
    IOptions<SyncOptions> options,
    TimeProvider time,
    ILogger<SyncCoordinator> logger) : IHostedService, IDisposable
{
    public const string ConnectionDeletedReason = "The connection was deleted.";
    public const string CancelledByAdministratorReason = "Cancelled by an administrator.";

    /// <summary>How often this replica asks the database whether any of its runs should stop: one query for all of them.</summary>
    internal static readonly TimeSpan CancelCheckInterval = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<Guid, RunningSync> running = new();
    private readonly CancellationTokenSource stopping = new();
    private Task watching = Task.CompletedTask;
    private int disposed;

    /// <summary>This replica's name on the leases it holds.</summary>
    public string Owner { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";

    public int RunningCount => running.Count;

    /// <summary>Syncs this replica runs now, per tenant.</summary>
    public IReadOnlyDictionary<string, int> RunningPerTenant() =>
        running.Values.GroupBy(r => r.TenantId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    /// <summary>Claims the connection and opens a run; null when a sync of it is already running anywhere.</summary>
    public async Task<Guid?> TryStartAsync(Guid connectionId, SyncTrigger trigger, CancellationToken cancellationToken)
    {
        var now = PostgresTime.Microseconds(time.GetUtcNow());
        var started = await ClaimAndOpenAsync(now, trigger, async (session, transaction) =>
        {
            await using var claim = new NpgsqlCommand(LeaseSql.ClaimOne, session, transaction);
            claim.Parameters.AddWithValue("owner", Owner);
            claim.Parameters.AddWithValue("expires", now.AddSeconds(options.Value.LeaseSeconds));
            claim.Parameters.AddWithValue("c", connectionId);
            claim.Parameters.AddWithValue("t", now);
            return await ReadClaimsAsync(claim, cancellationToken);
        }, cancellationToken);
        return started.Count == 1 ? started[0] : null;
    }

    /// <summary>
    /// The scheduler's claim: up to <paramref name="slots"/> due connections, at most <paramref name="perTenant"/> running
    /// per tenant on this replica, locked with SKIP LOCKED so concurrent replicas take different ones, leased and opened as
    /// scheduled runs in one transaction. Returns the runs started.
    /// </summary>
    public async Task<IReadOnlyList<Guid>> StartDueAsync(int slots, int perTenant, CancellationToken cancellationToken)
    {
        var now = PostgresTime.Microseconds(time.GetUtcNow());
        var busy = RunningPerTenant();
        return await ClaimAndOpenAsync(now, SyncTrigger.Scheduled, async (session, transaction) =>
        {
            List<(Guid, string)> due;
            await using (var select = new NpgsqlCommand(LeaseSql.LockDue, session, transaction))
            {
                select.Parameters.AddWithValue("t", now);
                select.Parameters.AddWithValue("slots", slots);
                select.Parameters.AddWithValue("cap", perTenant);
                select.Parameters.AddWithValue("busy_tenants", busy.Keys.ToArray());
                select.Parameters.AddWithValue("busy_counts", busy.Values.ToArray());
                due = await ReadClaimsAsync(select, cancellationToken);
            }

            if (due.Count > 0)
            {
                await using var claim = new NpgsqlCommand(LeaseSql.ClaimLocked, session, transaction);
                claim.Parameters.AddWithValue("ids", due.Select(d => d.Item1).ToArray());
                claim.Parameters.AddWithValue("owner", Owner);
                claim.Parameters.AddWithValue("expires", now.AddSeconds(options.Value.LeaseSeconds));
                await claim.ExecuteNonQueryAsync(cancellationToken);
                foreach (var (connectionId, tenantId) in due)
                {
                    logger.LogInformation("Claimed due connection {ConnectionId} of tenant {TenantId} for {LeaseSeconds} s",
                        connectionId, tenantId, options.Value.LeaseSeconds);
                }
            }

            return due;
        }, cancellationToken);
    }

    /// <summary>Marks runs abandoned whose holder's lease expired, and makes their connections due again.</summary>
    public Task<int> AbandonExpiredAsync(CancellationToken cancellationToken) => leases.AbandonExpiredAsync(cancellationToken);

    /// <summary>
    /// One mechanism for manual and scheduled starts: <paramref name="claim"/> takes leases inside the transaction that
    /// also opens the runs, so a lease never exists without its run nor a run without its lease.
    /// </summary>
    private async Task<IReadOnlyList<Guid>> ClaimAndOpenAsync(
        DateTimeOffset now, SyncTrigger trigger, Func<NpgsqlConnection, NpgsqlTransaction, Task<List<(Guid Id, string TenantId)>>> claim,
        CancellationToken cancellationToken)
    {
        var opened = new List<(Guid RunId, Guid ConnectionId, string TenantId)>();
        await using (var session = await db.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await session.BeginTransactionAsync(cancellationToken))
        {
            foreach (var (connectionId, tenantId) in await claim(session, transaction))
            {
                var runId = Guid.CreateVersion7(now);
                await using var open = new NpgsqlCommand(LeaseSql.OpenRun, session, transaction);
                open.Parameters.AddWithValue("r", runId);
                open.Parameters.AddWithValue("c", connectionId);
                open.Parameters.AddWithValue("t", now);
                open.Parameters.AddWithValue("owner", Owner);
                open.Parameters.AddWithValue("trigger", trigger.ToString().ToLowerInvariant());
                await open.ExecuteNonQueryAsync(cancellationToken);
                opened.Add((runId, connectionId, tenantId));
            }

            if (opened.Count == 0)
            {
                return [];
            }

            await transaction.CommitAsync(cancellationToken);
        }

        foreach (var (runId, connectionId, tenantId) in opened)
        {
            logger.LogInformation("Started {Trigger} sync {RunId} of connection {ConnectionId}", trigger, runId, connectionId);
            metrics.Started(trigger);

            // Registered before it starts, so a sync that ends at once still removes itself.
            var stop = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
            var sync = new Task<Task>(() => RunAsync(runId, connectionId, stop));
            running[runId] = new RunningSync(tenantId, connectionId, sync.Unwrap(), stop);
            sync.Start(TaskScheduler.Default);
        }

        return opened.Select(o => o.RunId).ToList();
    }

    private static async Task<List<(Guid Id, string TenantId)>> ReadClaimsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var claims = new List<(Guid, string)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            claims.Add((reader.GetGuid(0), reader.GetString(1)));
        }

        return claims;
    }

    private async Task RunAsync(Guid runId, Guid connectionId, CancellationTokenSource lease)
    {
        var renewing = leases.RenewWhileRunningAsync(connectionId, Owner, lease);
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
            await leases.ReleaseAsync(connectionId, Owner);
            await leases.PurgeAfterRunAsync(connectionId);
            running.TryRemove(runId, out _);
            lease.Dispose();
        }
    }

    /// <summary>Stops a run at once if this replica runs it; other replicas notice the request in the database.</summary>
    public void CancelLocally(Guid runId)
    {
        if (running.TryGetValue(runId, out var sync))
        {
            Cancel(sync);
        }
    }

    /// <summary>
    /// Purges deleted connections that no sync holds (<paramref name="connectionId"/>, or every one when null) and
    /// returns how many went.
    /// </summary>
    public Task<int> PurgeDeletedAsync(Guid? connectionId, CancellationToken cancellationToken) =>
        leases.PurgeDeletedAsync(connectionId, cancellationToken);

    /// <summary>Stops this replica's runs that an admin cancelled or whose connection was deleted, on any replica.</summary>
    private async Task WatchCancellationsAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(CancelCheckInterval, time, cancellationToken);
                var ids = running.Keys.ToArray();
                if (ids.Length == 0)
                {
                    continue;
                }

                await using var command = db.CreateCommand(LeaseSql.CancelRequested);
                command.Parameters.AddWithValue("ids", ids);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    var runId = reader.GetGuid(0);
                    if (running.TryGetValue(runId, out var sync) && !sync.Stop.IsCancellationRequested)
                    {
                        logger.LogInformation("Stopping sync {RunId} of connection {ConnectionId}: it was asked to stop", runId, sync.ConnectionId);
                        Cancel(sync);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                logger.LogWarning("Could not check for cancelled syncs this time: {Error}", ex.Message);
            }
        }
    }

    private static void Cancel(RunningSync sync)
    {
        try
        {
            sync.Stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The run ended meanwhile.
        }
    }

    /// <summary>Waits for running syncs to finish (tests use it; the API never blocks on a sync).</summary>
    public Task WhenIdleAsync() => Task.WhenAll(running.Values.Select(r => r.Task));

    public Task StartAsync(CancellationToken cancellationToken)
    {
        watching = WatchCancellationsAsync(stopping.Token);
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
        {
            stopping.Dispose();
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // A host can be stopped again after its services were disposed (a test fixture disposed twice, say).
        if (Volatile.Read(ref disposed) == 1)
        {
            return;
        }

        try
        {
            await stopping.CancelAsync();
        }
        catch (ObjectDisposedException)
        {
            return;
        }
        catch (AggregateException ex)
        {
            // Every callback has run by now, so every sync is cancelled: still wait below for them to record it.
            logger.LogWarning(ex, "A cancellation callback failed while stopping the running syncs");
        }

        await Task.WhenAny(Task.WhenAll(WhenIdleAsync(), watching), Task.Delay(Timeout.Infinite, cancellationToken));
    }

    private sealed record RunningSync(string TenantId, Guid ConnectionId, Task Task, CancellationTokenSource Stop);
}
