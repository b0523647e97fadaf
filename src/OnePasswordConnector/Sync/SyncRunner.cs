using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using OnePasswordConnector.Connections;
using OnePasswordConnector.Persistence;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Sync;

/// <summary>
/// One sync of one connection: enumerate the bridge completely into staging tables, then merge in one transaction.
/// Nothing about the stored directory changes unless every page of both resource types was read.
/// </summary>
internal sealed class SyncRunner(
    NpgsqlDataSource db,
    IHttpClientFactory httpClients,
    TokenProtector tokens,
    SyncScheduleCalculator schedule,
    SyncMetrics metrics,
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
            loaded = await LoadConnectionAsync(connectionId, runId, cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            db.Clear();
            logger.LogWarning("Sync {RunId} of connection {ConnectionId} could not begin: the database failed ({Error})", runId, connectionId, ex.Message);
            await RecordAsync(runId, DatabaseUnavailable);
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
            await FailAsync(runId, connection, SyncRunStatus.Cancelled, SyncCoordinator.ConnectionDeletedReason, null, new SyncProgress(), new BridgeReport());
            metrics.Failed("cancelled", time.GetElapsedTime(startedAt), 0);
            return SyncRunStatus.Cancelled;
        }

        var progress = new SyncProgress();
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(TimeSpan.FromMinutes(options.Value.BudgetMinutes));
        using var heartbeat = CancellationTokenSource.CreateLinkedTokenSource(budget.Token);
        var beating = HeartbeatAsync(runId, progress, heartbeat.Token);
        async Task StopHeartbeatAsync()
        {
            await heartbeat.CancelAsync();
            await beating;
        }

        var report = new BridgeReport();
        try
        {
            var bridge = new BridgeEndpoint(new Uri(connection.ScimBaseUrl), tokens.Unprotect(connection.ProtectedToken));
            var client = new ScimClient(httpClients.CreateClient(ScimSetup.SyncClient), scimOptions.Value.MaxResponseBytes);
            await ReadBridgeStatusAsync(client, bridge, report, budget.Token);
            await using var session = await db.OpenConnectionAsync(budget.Token);
            var staging = new SyncStaging(client, bridge, new ScimPager(client, options.Value.PageSize, options.Value.MaxPages), progress);
            StageCounts counts;
            if (connection.LastSuccessfulSyncAt is null)
            {
                // The baseline: everything is new, so the bridge streams straight into the directory tables inside
                // one transaction. A failed enumeration rolls it all back.
                await using var transaction = await session.BeginTransactionAsync(budget.Token);
                counts = await staging.StageAsync(session, new StoredDirectory(), StageTarget.Baseline(connection.Id, connection.RunStartedAt), budget.Token);
                report.PrivilegedGroups = [.. counts.PrivilegedGroups];
                await StopHeartbeatAsync();
                await CompleteAsync(session, runId, connection, counts, progress, report, cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                await AfterCommitAsync(session, SyncSql.AnalyzeDirectory, cancellationToken);
            }
            else
            {
                await Execute(session, SyncSql.CreateStaging, budget.Token);
                var stored = await StoredDirectory.LoadAsync(session, connection.Id, budget.Token);
                counts = await staging.StageAsync(session, stored, StageTarget.Staging, budget.Token);
                report.PrivilegedGroups = [.. counts.PrivilegedGroups];
                await Execute(session, SyncSql.AnalyzeStaging, budget.Token);
                await StopHeartbeatAsync();
                await MergeAsync(session, runId, connection, counts, progress, report, cancellationToken);
                await AfterCommitAsync(session, SyncSql.DropStaging, CancellationToken.None);
            }

            logger.LogInformation(
                "Sync {RunId} of connection {ConnectionId} succeeded: {UsersSeen} users, {GroupsSeen} groups, {MembershipsSeen} memberships, {ChangeEvents} changes",
                runId, connectionId, counts.UsersSeen, counts.GroupsSeen, counts.MembershipsSeen, counts.ChangeEvents);
            metrics.Succeeded(time.GetElapsedTime(startedAt), progress.Resources);
            return SyncRunStatus.Succeeded;
        }
        catch (Exception ex) when (ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            await StopHeartbeatAsync();
            var requested = await CancelReasonAsync(runId);
            var reason = requested ?? "The sync was cancelled (the service was stopping).";
            logger.LogWarning("Sync {RunId} of connection {ConnectionId} was cancelled: {Reason}", runId, connectionId, reason);
            await FailAsync(runId, connection, SyncRunStatus.Cancelled, reason, null, progress, report, cancelRequested: requested is not null);
            metrics.Failed("cancelled", time.GetElapsedTime(startedAt), progress.Resources);
            return SyncRunStatus.Cancelled;
        }
        catch (Exception ex)
        {
            await StopHeartbeatAsync();
            if (ex is NpgsqlException)
            {
                // After a database restart or failover every idle pooled connection is dead; drop them all.
                db.Clear();
            }

            if (await ConnectionDeletedAsync(connectionId))
            {
                // Whatever failed, it failed because the connection's rows went away under the sync: say so, and stop.
                logger.LogInformation("Sync {RunId} of connection {ConnectionId} stopped: the connection was deleted ({Error})",
                    runId, connectionId, ex.Message);
                await FailAsync(runId, connection, SyncRunStatus.Cancelled, SyncCoordinator.ConnectionDeletedReason, null, progress, report);
                metrics.Failed("cancelled", time.GetElapsedTime(startedAt), progress.Resources);
                return SyncRunStatus.Cancelled;
            }

            var (message, failure) = ex switch
            {
                BridgeException bridge => (bridge.Message, (BridgeFailure?)bridge.Failure),
                OperationCanceledException => ($"The sync exceeded its time budget of {options.Value.BudgetMinutes} minutes.", BridgeFailure.Timeout),
                PostgresException { SqlState: ['2', '2' or '3', ..] } => (DatabaseRefusedData, null),
                NpgsqlException => (DatabaseUnavailable, null),
                _ => (InternalError, null),
            };
            if (ex is BridgeException or OperationCanceledException)
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

            await FailAsync(runId, connection, SyncRunStatus.Failed, message, failure, progress, report);
            var reason = failure is { } f ? BridgeFailures.Code(f)! : ex is NpgsqlException ? "database" : "internal";
            metrics.Failed(reason, time.GetElapsedTime(startedAt), progress.Resources);
            return SyncRunStatus.Failed;
        }
    }

    private async Task MergeAsync(
        NpgsqlConnection session, Guid runId, ConnectionSnapshot connection, StageCounts counts, SyncProgress progress,
        BridgeReport report, CancellationToken cancellationToken)
    {
        await using var transaction = await session.BeginTransactionAsync(cancellationToken);
        (counts.UsersAdded, counts.UsersChanged, counts.UsersRemoved) = await Triple(session, SyncSql.MergeUsers, runId, connection, cancellationToken);
        (counts.GroupsAdded, counts.GroupsChanged, counts.GroupsRemoved) = await Triple(session, SyncSql.MergeGroups, runId, connection, cancellationToken);
        (counts.MembershipsAdded, counts.MembershipsRemoved, counts.ChangeEvents) =
            await Triple(session, SyncSql.MergeMemberships, runId, connection, cancellationToken);
        await CompleteAsync(session, runId, connection, counts, progress, report, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Marks the run succeeded and the connection healthy, in the transaction that wrote the directory.</summary>
    private async Task CompleteAsync(
        NpgsqlConnection session, Guid runId, ConnectionSnapshot connection, StageCounts counts, SyncProgress progress,
        BridgeReport report, CancellationToken cancellationToken)
    {
        var now = PostgresTime.Microseconds(time.GetUtcNow());
        await using (var run = Parameters(new NpgsqlCommand(SyncSql.CompleteRun, session), runId, connection))
        {
            run.Parameters.AddWithValue("finished", now);
            run.Parameters.AddWithValue("pages", progress.Pages);
            run.Parameters.AddWithValue("resources", progress.Resources);
            run.Parameters.AddWithValue("users_seen", counts.UsersSeen);
            run.Parameters.AddWithValue("users_added", counts.UsersAdded);
            run.Parameters.AddWithValue("users_changed", counts.UsersChanged);
            run.Parameters.AddWithValue("users_removed", counts.UsersRemoved);
            run.Parameters.AddWithValue("groups_seen", counts.GroupsSeen);
            run.Parameters.AddWithValue("groups_added", counts.GroupsAdded);
            run.Parameters.AddWithValue("groups_changed", counts.GroupsChanged);
            run.Parameters.AddWithValue("groups_removed", counts.GroupsRemoved);
            run.Parameters.AddWithValue("memberships_seen", counts.MembershipsSeen);
            run.Parameters.AddWithValue("memberships_added", counts.MembershipsAdded);
            run.Parameters.AddWithValue("memberships_removed", counts.MembershipsRemoved);
            run.Parameters.AddWithValue("change_events", counts.ChangeEvents);
            if (await run.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                throw new InvalidOperationException(
                    "The run was marked abandoned while it ran (its lease expired) and another may have replaced it; its merge is rolled back.");
            }
        }

        await RecordWarningsAsync(session, runId, connection.Id, counts.Warnings, cancellationToken);

        await using (var complete = Parameters(new NpgsqlCommand(SyncSql.CompleteConnection, session), runId, connection))
        {
            complete.Parameters.AddWithValue("finished", now);
            complete.Parameters.AddWithValue("next", schedule.Next(now, connection.SyncIntervalMinutes));
            complete.Parameters.Add(new NpgsqlParameter("version", NpgsqlDbType.Text) { Value = (object?)report.Version ?? DBNull.Value });
            await complete.ExecuteNonQueryAsync(cancellationToken);
        }

        await InsertReportAsync(session, runId, connection.Id, now, report with { Verdict = "succeeded" }, cancellationToken);
    }

    /// <summary>
    /// The run's data-quality warnings: those met while reading the bridge, then the member ids of the directory as
    /// merged that are no user or group. A run with none records a count of 0 and no list.
    /// </summary>
    private async Task RecordWarningsAsync(
        NpgsqlConnection session, Guid runId, Guid connectionId, SyncWarnings warnings, CancellationToken cancellationToken)
    {
        await using (var unknown = new NpgsqlCommand(SyncSql.UnknownMembers, session))
        {
            unknown.Parameters.AddWithValue("c", connectionId);
            unknown.Parameters.AddWithValue("limit", SyncWarnings.Kept);
            await using var reader = await unknown.ExecuteReaderAsync(cancellationToken);
            var total = 0;
            var listed = 0;
            while (await reader.ReadAsync(cancellationToken))
            {
                total = reader.GetInt32(2);
                listed++;
                warnings.UnknownMember(reader.GetString(0), reader.GetString(1));
            }

            warnings.CountWithoutDetails(total - listed);
        }

        if (warnings.Count == 0)
        {
            return;
        }

        logger.LogWarning("Sync {RunId} of connection {ConnectionId} met {WarningCount} data-quality warnings; they are listed on the run",
            runId, connectionId, warnings.Count);
        await using var record = new NpgsqlCommand(SyncSql.RecordWarnings, session);
        record.Parameters.AddWithValue("r", runId);
        record.Parameters.AddWithValue("count", warnings.Count);
        record.Parameters.Add(new NpgsqlParameter("warnings", NpgsqlDbType.Jsonb) { Value = warnings.ToJson() });
        await record.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Every row a run writes is stamped with the instant the run started (@t): the directory as the bridge showed
    /// it then. An asOf query takes the last run finished by then, so a row is in a snapshot exactly when its run is.
    /// </summary>
    private static NpgsqlCommand Parameters(NpgsqlCommand command, Guid runId, ConnectionSnapshot connection)
    {
        command.Parameters.AddWithValue("c", connection.Id);
        command.Parameters.AddWithValue("r", runId);
        command.Parameters.AddWithValue("t", connection.RunStartedAt);
        command.Parameters.Add(new NpgsqlParameter("prev", NpgsqlDbType.TimestampTz) { Value = (object?)connection.LastSuccessfulSyncAt ?? DBNull.Value });
        return command;
    }

    private async Task FailAsync(Guid runId, ConnectionSnapshot connection, SyncRunStatus status, string error, BridgeFailure? failure,
        SyncProgress progress, BridgeReport report, bool cancelRequested = false)
    {
        var now = PostgresTime.Microseconds(time.GetUtcNow());
        var unauthorized = failure == BridgeFailure.Unauthorized;
        var connectionStatus = status == SyncRunStatus.Cancelled
            ? (connection.Status == ConnectionStatus.Pending ? "pending" : connection.Status.ToString().ToLowerInvariant())
            : unauthorized ? "unauthorized" : "failing";
        // A run cancelled by shutdown is due again at once; one an admin stopped waits for its regular interval.
        var next = status == SyncRunStatus.Cancelled
            ? cancelRequested ? schedule.Next(now, connection.SyncIntervalMinutes) : now
            : schedule.Backoff(now, connection.ConsecutiveFailures + 1, connection.SyncIntervalMinutes);
        var recorded = await RecordEndAsync(runId, async () =>
        {
            await using var session = await db.OpenConnectionAsync(CancellationToken.None);
            await using var transaction = await session.BeginTransactionAsync(CancellationToken.None);
            await using (var command = new NpgsqlCommand(SyncSql.FailRun, session))
            {
                command.Parameters.AddWithValue("r", runId);
                command.Parameters.AddWithValue("c", connection.Id);
                command.Parameters.AddWithValue("t", now);
                command.Parameters.AddWithValue("status", status.ToString().ToLowerInvariant());
                command.Parameters.AddWithValue("connection_status", connectionStatus);
                command.Parameters.AddWithValue("error", error);
                command.Parameters.AddWithValue("pages", progress.Pages);
                command.Parameters.AddWithValue("resources", progress.Resources);
                command.Parameters.AddWithValue("next", next);
                await command.ExecuteNonQueryAsync(CancellationToken.None);
            }

            await InsertReportAsync(session, runId, connection.Id, now, report with
            {
                Verdict = status.ToString().ToLowerInvariant(),
                Error = error,
                TokenAccepted = unauthorized ? false : report.TokenAccepted,
                Reachable = report.Reachable || failure is not (BridgeFailure.Unreachable or BridgeFailure.Timeout or BridgeFailure.BlockedAddress),
            }, CancellationToken.None);
            await transaction.CommitAsync(CancellationToken.None);
        });
        if (recorded && status == SyncRunStatus.Failed)
        {
            logger.LogInformation(
                "Connection {ConnectionId} backs off until {NextSyncAt} after {ConsecutiveFailures} consecutive failures (status {ConnectionStatus})",
                connection.Id, next, connection.ConsecutiveFailures + 1, connectionStatus);
        }
    }

    /// <summary>What the bridge says about itself: capabilities and, on a 1Password bridge, version and health.</summary>
    private static async Task ReadBridgeStatusAsync(ScimClient client, BridgeEndpoint bridge, BridgeReport report, CancellationToken cancellationToken)
    {
        using (var config = await client.GetJsonAsync(bridge, bridge.Resolve("ServiceProviderConfig"), cancellationToken))
        {
            report.Reachable = true;
            report.TokenAccepted = true;
            report.ServiceProviderConfig = config.RootElement.GetRawText();
        }

        try
        {
            using var health = await client.GetJsonAsync(bridge, new Uri(bridge.Origin, "/health"), cancellationToken);
            if (health.RootElement.ValueKind == JsonValueKind.Object)
            {
                report.Version = ScimJson.String(health.RootElement, "version");
                report.Build = ScimJson.String(health.RootElement, "build");
                report.Health = health.RootElement.GetRawText();
            }
        }
        catch (BridgeException ex) when (ex.Failure is not BridgeFailure.Unauthorized)
        {
            // Not every SCIM server has /health; its absence is not a failed sync.
        }
    }

    private static async Task InsertReportAsync(NpgsqlConnection session, Guid runId, Guid connectionId, DateTimeOffset now, BridgeReport report, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(SyncSql.InsertProvisioningReport, session);
        command.Parameters.AddWithValue("id", Guid.CreateVersion7(now));
        command.Parameters.AddWithValue("c", connectionId);
        command.Parameters.AddWithValue("r", runId);
        command.Parameters.AddWithValue("t", now);
        command.Parameters.AddWithValue("reachable", report.Reachable);
        command.Parameters.Add(new NpgsqlParameter("token_accepted", NpgsqlDbType.Boolean) { Value = (object?)report.TokenAccepted ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("version", NpgsqlDbType.Text) { Value = (object?)report.Version ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("build", NpgsqlDbType.Text) { Value = (object?)report.Build ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("health", NpgsqlDbType.Text) { Value = (object?)report.Health ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("config", NpgsqlDbType.Text) { Value = (object?)report.ServiceProviderConfig ?? DBNull.Value });
        command.Parameters.AddWithValue("privileged", report.PrivilegedGroups);
        command.Parameters.AddWithValue("verdict", report.Verdict);
        command.Parameters.Add(new NpgsqlParameter("error", NpgsqlDbType.Text) { Value = (object?)report.Error ?? DBNull.Value });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task HeartbeatAsync(Guid runId, SyncProgress progress, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(options.Value.HeartbeatSeconds), time, cancellationToken);
                await using var command = db.CreateCommand(SyncSql.Progress);
                command.Parameters.AddWithValue("r", runId);
                command.Parameters.AddWithValue("pages", progress.Pages);
                command.Parameters.AddWithValue("resources", progress.Resources);
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (NpgsqlException ex)
        {
            logger.LogWarning("Could not record the progress of sync {RunId}: {Error}", runId, ex.Message);
        }
    }

    /// <summary>The connection and the run's start; null when either is gone (the connection was deleted and purged).</summary>
    private async Task<ConnectionSnapshot?> LoadConnectionAsync(Guid connectionId, Guid runId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("""
            SELECT c.scim_base_url, c.protected_token, c.last_successful_sync_at, c.sync_interval_minutes, c.status, c.consecutive_failures,
                r.started_at, c.deleted_at IS NOT NULL
            FROM connections c JOIN sync_runs r ON r.connection_id = c.id AND r.id = @r
            WHERE c.id = @c
            """);
        command.Parameters.AddWithValue("c", connectionId);
        command.Parameters.AddWithValue("r", runId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new ConnectionSnapshot(
            connectionId, reader.GetString(0), reader.GetString(1),
            reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2), reader.GetInt32(3),
            Enum.Parse<ConnectionStatus>(reader.GetString(4), ignoreCase: true), reader.GetInt32(5), reader.GetFieldValue<DateTimeOffset>(6),
            reader.GetBoolean(7));
    }

    /// <summary>Why the run was asked to stop (an admin, or its connection's DELETE); null when nobody asked.</summary>
    private async Task<string?> CancelReasonAsync(Guid runId)
    {
        try
        {
            await using var command = db.CreateCommand(SyncSql.CancelReason);
            command.Parameters.AddWithValue("r", runId);
            return await command.ExecuteScalarAsync(CancellationToken.None) as string;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            return null;
        }
    }

    private async Task<bool> ConnectionDeletedAsync(Guid connectionId)
    {
        try
        {
            await using var command = db.CreateCommand(SyncSql.ConnectionDeleted);
            command.Parameters.AddWithValue("c", connectionId);
            return await command.ExecuteScalarAsync(CancellationToken.None) is true;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            return false;
        }
    }

    private static async Task<(int, int, int)> Triple(
        NpgsqlConnection session, string sql, Guid runId, ConnectionSnapshot connection, CancellationToken cancellationToken)
    {
        await using var command = Parameters(new NpgsqlCommand(sql, session), runId, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (!await reader.ReadAsync(cancellationToken) && await reader.NextResultAsync(cancellationToken))
        {
        }

        return (reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2));
    }

    /// <summary>Ends a run that never got its connection's details.</summary>
    private Task<bool> RecordAsync(Guid runId, string error) => RecordEndAsync(runId, async () =>
    {
        await using var command = db.CreateCommand(SyncSql.FailRunEarly);
        command.Parameters.AddWithValue("r", runId);
        command.Parameters.AddWithValue("t", PostgresTime.Microseconds(time.GetUtcNow()));
        command.Parameters.AddWithValue("error", error);
        await command.ExecuteNonQueryAsync(CancellationToken.None);
    });

    /// <summary>
    /// Records how a run ended. The database may be what failed: keep trying for about a minute, so the run ends
    /// 'failed' rather than waiting for its lease to expire and be marked abandoned. False when it never got through.
    /// </summary>
    private async Task<bool> RecordEndAsync(Guid runId, Func<Task> record)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await record();
                return true;
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ForeignKeyViolation)
            {
                // The connection was deleted and purged: the run is gone with it, and retrying cannot bring it back.
                logger.LogInformation("Sync {RunId} ended after its connection was deleted; there is nothing left to record", runId);
                return false;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                if (attempt >= 7)
                {
                    logger.LogError(ex, "Could not record the end of sync {RunId}; its lease will expire and it will be marked abandoned", runId);
                    return false;
                }

                logger.LogWarning("Could not record the end of sync {RunId} yet (attempt {Attempt}): {Error}", runId, attempt, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(Math.Pow(2, attempt - 1)), time, CancellationToken.None);
            }
        }
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

    private sealed record ConnectionSnapshot(
        Guid Id, string ScimBaseUrl, string ProtectedToken, DateTimeOffset? LastSuccessfulSyncAt, int SyncIntervalMinutes,
        ConnectionStatus Status, int ConsecutiveFailures, DateTimeOffset RunStartedAt, bool Deleted);

    private sealed record BridgeReport
    {
        public bool Reachable { get; set; }
        public bool? TokenAccepted { get; set; }
        public string? Version { get; set; }
        public string? Build { get; set; }
        public string? Health { get; set; }
        public string? ServiceProviderConfig { get; set; }
        public string[] PrivilegedGroups { get; set; } = [];
        public string Verdict { get; init; } = "running";
        public string? Error { get; init; }
    }

    private sealed class SyncProgress : IEnumerationProgress
    {
        private int pages;
        private int resources;

        public int Pages => Volatile.Read(ref pages);

        public int Resources => Volatile.Read(ref resources);

        public void PageRead(string resourceType, int count)
        {
            Interlocked.Increment(ref pages);
            Interlocked.Add(ref resources, count);
        }
    }
}
