using Microsoft.Extensions.Options;
using Npgsql;
using OnePasswordConnector.Connections;
using OnePasswordConnector.Persistence;
using OnePasswordConnector.Scim;
using OnePasswordConnector.SignIns;

namespace OnePasswordConnector.Sync;

/// <summary>
/// One sync of one connection: enumerate the bridge completely into staging tables, then merge in one transaction.
/// Nothing about the stored directory changes unless every page of both resource types was read.
/// </summary>
internal sealed class SyncRunner(
    NpgsqlDataSource db,
    IHttpClientFactory httpClients,
    TokenProtector tokens,
    SyncRunStore runs,
    SyncMetrics metrics,
    SignInCollector signIns,
    IOptions<SyncOptions> options,
    IOptions<ScimOptions> scimOptions,
    TimeProvider time,
    ILogger<SyncRunner> logger)
{
    public async Task<SyncRunStatus> RunAsync(Guid runId, Guid connectionId, CancellationToken cancellationToken)
    {
        var startedAt = time.GetTimestamp();
        ConnectionSnapshot? loaded;
        try
        {
            loaded = await runs.LoadConnectionAsync(connectionId, runId, cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            db.Clear();
            logger.LogWarning("Sync {RunId} of connection {ConnectionId} could not begin: the database failed ({Error})", runId, connectionId, ex.Message);
            await runs.FailEarlyAsync(runId, DatabaseUnavailable);
            metrics.Failed("database", time.GetElapsedTime(startedAt), 0);
            return SyncRunStatus.Failed;
        }

        if (loaded is not { } connection)
        {
            logger.LogInformation("Sync {RunId} of connection {ConnectionId} did not begin: the connection was deleted", runId, connectionId);
            metrics.Failed("cancelled", time.GetElapsedTime(startedAt), 0);
            return SyncRunStatus.Cancelled;
        }

        if (connection.Deleted)
        {
            logger.LogInformation("Sync {RunId} of connection {ConnectionId} did not begin: the connection was deleted", runId, connectionId);
            await runs.FailAsync(runId, connection, SyncRunStatus.Cancelled, SyncCoordinator.ConnectionDeletedReason, null, new SyncProgress(),
                BridgeReport.Running(), Unmerged(connection, BridgeReport.Running(), new StageResult(), SyncCoordinator.ConnectionDeletedReason));
            metrics.Failed("cancelled", time.GetElapsedTime(startedAt), 0);
            return SyncRunStatus.Cancelled;
        }

        var progress = new SyncProgress();
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(TimeSpan.FromMinutes(options.Value.BudgetMinutes));
        using var heartbeat = new SyncHeartbeat(
            db, runId, progress, TimeSpan.FromSeconds(options.Value.HeartbeatSeconds), time, logger, budget.Token);

        var report = BridgeReport.Running();
        var staged = new StageResult();
        try
        {
            var bridge = new BridgeEndpoint(new Uri(connection.ScimBaseUrl), tokens.Unprotect(connection.ProtectedToken));
            var client = new ScimClient(httpClients.CreateClient(ScimSetup.SyncClient), scimOptions.Value.MaxResponseBytes);
            using var throttle = new RequestThrottle(options.Value.MaxConcurrentRequests);
            await BridgeReport.ReadAsync(report, client, bridge, throttle, budget.Token);
            await using var session = await db.OpenConnectionAsync(budget.Token);
            var pager = new ScimPager(throttle.Pages(client.GetJsonAsync), options.Value.PageSize, options.Value.MaxPages,
                options.Value.MaxConcurrentRequests, options.Value.EnumerationRestarts, ScimPagingAnnouncement.Read(report.ServiceProviderConfig));
            var staging = new SyncStaging(bridge, pager,
                new ResourceReads(client, bridge, options.Value.MaxConcurrentRequests, throttle), options.Value.MaxRemovalChecks, progress);
            if (connection.LastSuccessfulSyncAt is null)
            {
                // The baseline: everything is new, so the bridge streams straight into the directory tables inside
                // one transaction. A failed enumeration rolls it all back.
                await using var transaction = await session.BeginTransactionAsync(budget.Token);
                await staging.StageAsync(session, new StoredDirectory(), StageTarget.Baseline(connection.Id, connection.RunStartedAt), staged, budget.Token);
                report.PrivilegedGroups = [.. staged.PrivilegedGroups];
                await heartbeat.StopAsync();
                // Analysed inside the transaction, which counts its own rows: the checks that follow (unknown members,
                // the digest's sorted reads) are then planned on real row counts, as is the next sync's diff.
                await Execute(session, MergeSql.AnalyzeDirectory, cancellationToken);
                var digest = await PopulationDigest.ComputeAsync(session, connection.Id, cancellationToken);
                await runs.CompleteAsync(session, runId, connection, staged, progress, report,
                    CompletenessRecord.Assemble(connection.RunStartedAt, report, staged, baseline: true, digest, null), cancellationToken);
                await transaction.CommitAsync(cancellationToken);
            }
            else
            {
                await Execute(session, MergeSql.CreateStaging, budget.Token);
                var stored = await StoredDirectory.LoadAsync(session, connection.Id, budget.Token);
                await staging.StageAsync(session, stored, StageTarget.Staging, staged, budget.Token);
                report.PrivilegedGroups = [.. staged.PrivilegedGroups];
                await Execute(session, MergeSql.AnalyzeStaging, budget.Token);
                await heartbeat.StopAsync();
                await MergeAsync(session, runId, connection, staged, progress, report, cancellationToken);
                await AfterCommitAsync(session, MergeSql.DropStaging, CancellationToken.None);
            }

            logger.LogInformation(
                "Sync {RunId} of connection {ConnectionId} succeeded: {UsersSeen} users, {GroupsSeen} groups, {MembershipsSeen} memberships, {ChangeEvents} changes",
                runId, connectionId, staged.Counts.UsersSeen, staged.Counts.GroupsSeen, staged.Counts.MembershipsSeen, staged.Counts.ChangeEvents);
            // Sign-ins follow the committed run and never fail it: what stops them short is a warning on the run.
            await runs.AppendWarningsAsync(runId, SyncWarnings.SignIns(await signIns.CollectAsync(connection.Id, connection.RunStartedAt)));
            metrics.Succeeded(time.GetElapsedTime(startedAt), progress.Resources);
            return SyncRunStatus.Succeeded;
        }
        catch (Exception ex) when (ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            await heartbeat.StopAsync();
            var requested = await runs.CancelReasonAsync(runId);
            var reason = requested ?? "The sync was cancelled (the service was stopping).";
            logger.LogWarning("Sync {RunId} of connection {ConnectionId} was cancelled: {Reason}", runId, connectionId, reason);
            await runs.FailAsync(runId, connection, SyncRunStatus.Cancelled, reason, null, progress, report,
                Unmerged(connection, report, staged, reason), cancelRequested: requested is not null);
            metrics.Failed("cancelled", time.GetElapsedTime(startedAt), progress.Resources);
            return SyncRunStatus.Cancelled;
        }
        catch (RunAbandonedException ex)
        {
            await heartbeat.StopAsync();
            if (await runs.ConnectionDeletedAsync(connectionId))
            {
                // The run's row went with its connection, which a DELETE purged while the bridge was being read.
                return await StopDeletedAsync(runId, connection, progress, report, staged, "the run was purged with it", startedAt);
            }

            // Another replica abandoned this run and may have synced since: its run, its report and its events stand.
            logger.LogWarning("Sync {RunId} of connection {ConnectionId} stopped: {Reason}", runId, connectionId, ex.Message);
            metrics.Failed("abandoned", time.GetElapsedTime(startedAt), progress.Resources);
            return SyncRunStatus.Abandoned;
        }
        catch (Exception ex)
        {
            await heartbeat.StopAsync();
            if (ex is NpgsqlException)
            {
                // After a database restart or failover every idle pooled connection is dead; drop them all.
                db.Clear();
            }

            if (await runs.ConnectionDeletedAsync(connectionId))
            {
                // Whatever failed, it failed because the connection's rows went away under the sync: say so, and stop.
                return await StopDeletedAsync(runId, connection, progress, report, staged, ex.Message, startedAt);
            }

            var (message, failure) = ex switch
            {
                BridgeException bridge => (bridge.Message, (BridgeFailure?)bridge.Failure),
                SyncRefusedException refused => (refused.Message, null),
                OperationCanceledException => ($"The sync exceeded its time budget of {options.Value.BudgetMinutes} minutes.", BridgeFailure.Timeout),
                PostgresException { SqlState: ['2', '2' or '3', ..] } => (DatabaseRefusedData, null),
                NpgsqlException => (DatabaseUnavailable, null),
                _ => (InternalError, null),
            };
            if (ex is BridgeException or OperationCanceledException or SyncRefusedException)
            {
                logger.LogWarning("Sync {RunId} of connection {ConnectionId} failed ({Failure}): {Error}", runId, connectionId, failure, message);
            }
            else if (ex is PostgresException database)
            {
                logger.LogError(ex, "Sync {RunId} of connection {ConnectionId} failed: the database answered {SqlState}: {DatabaseError}",
                    runId, connectionId, database.SqlState, database.MessageText);
            }
            else
            {
                logger.LogError(ex, "Sync {RunId} of connection {ConnectionId} failed: {Error}", runId, connectionId, ex.Message);
            }

            await runs.FailAsync(runId, connection, SyncRunStatus.Failed, message, failure, progress, report, Unmerged(connection, report, staged, message));
            var reason = failure is { } f ? BridgeFailures.Code(f)! : ex is NpgsqlException ? "database" : ex is SyncRefusedException ? "refused" : "internal";
            metrics.Failed(reason, time.GetElapsedTime(startedAt), progress.Resources);
            return SyncRunStatus.Failed;
        }
    }

    private async Task<SyncRunStatus> StopDeletedAsync(
        Guid runId, ConnectionSnapshot connection, SyncProgress progress, ProvisioningReport report, StageResult staged, string error, long startedAt)
    {
        logger.LogInformation("Sync {RunId} of connection {ConnectionId} stopped: the connection was deleted ({Error})", runId, connection.Id, error);
        await runs.FailAsync(runId, connection, SyncRunStatus.Cancelled, SyncCoordinator.ConnectionDeletedReason, null, progress, report,
            Unmerged(connection, report, staged, SyncCoordinator.ConnectionDeletedReason));
        metrics.Failed("cancelled", time.GetElapsedTime(startedAt), progress.Resources);
        return SyncRunStatus.Cancelled;
    }

    private async Task MergeAsync(
        NpgsqlConnection session, Guid runId, ConnectionSnapshot connection, StageResult staged, SyncProgress progress,
        ProvisioningReport report, CancellationToken cancellationToken)
    {
        var counts = staged.Counts;
        await using var transaction = await session.BeginTransactionAsync(cancellationToken);
        (counts.UsersAdded, counts.UsersChanged, counts.UsersRemoved) = await Triple(session, MergeSql.MergeUsers, runId, connection, cancellationToken);
        (counts.GroupsAdded, counts.GroupsChanged, counts.GroupsRemoved) = await Triple(session, MergeSql.MergeGroups, runId, connection, cancellationToken);
        (counts.MembershipsAdded, counts.MembershipsRemoved, counts.ChangeEvents) =
            await Triple(session, MergeSql.MergeMemberships, runId, connection, cancellationToken);
        var digest = await PopulationDigest.AfterMergeAsync(session, connection.Id, counts, cancellationToken);
        await runs.CompleteAsync(session, runId, connection, staged, progress, report,
            CompletenessRecord.Assemble(connection.RunStartedAt, report, staged, baseline: false, digest, null), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private static SyncCompleteness Unmerged(ConnectionSnapshot connection, ProvisioningReport report, StageResult staged, string failure) =>
        CompletenessRecord.Assemble(connection.RunStartedAt, report, staged, connection.LastSuccessfulSyncAt is null, null, failure);

    private static async Task<(int, int, int)> Triple(
        NpgsqlConnection session, string sql, Guid runId, ConnectionSnapshot connection, CancellationToken cancellationToken)
    {
        await using var command = connection.Bind(new NpgsqlCommand(sql, session), runId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (!await reader.ReadAsync(cancellationToken) && await reader.NextResultAsync(cancellationToken))
        {
        }

        return (reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2));
    }

    /// <summary>Housekeeping after the run committed: its failure must not turn a succeeded run into a failed one.</summary>
    private async Task AfterCommitAsync(NpgsqlConnection session, string sql, CancellationToken cancellationToken)
    {
        try
        {
            await Execute(session, sql, cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or InvalidOperationException)
        {
            logger.LogWarning("Housekeeping after a committed sync did not finish ({Reason}); the sync stands", ex.GetType().Name);
        }
    }

    private static async Task Execute(NpgsqlConnection session, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, session);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    // What a failed run says, in words for the admin who reads it; the database's own code and text go to the log.
    private const string DatabaseUnavailable =
        "The database was unavailable during the sync, so nothing was changed. The next sync tries again; if this keeps happening, check the connector's database.";

    private const string DatabaseRefusedData =
        "The database refused data this sync read from the bridge, so nothing was changed. Syncs of this connection will fail the same way until it is fixed: give this run's id to the connector's operator, whose log has the details.";

    private const string InternalError =
        "The sync stopped on an internal error of the connector, so nothing was changed. Give this run's id to the connector's operator, whose log has the details.";
}
