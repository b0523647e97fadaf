using Npgsql;
using NpgsqlTypes;
using OnePasswordConnector.Connections;
using OnePasswordConnector.Persistence;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Sync;

/// <summary>
/// A run's bookkeeping in the database: the connection as the run begins, and how the run ends (succeeded in the
/// transaction that wrote the directory; failed or cancelled after it, retrying while the database is down), with the
/// run's warnings and the bridge's provisioning report.
/// </summary>
internal sealed class SyncRunStore(
    NpgsqlDataSource db, SyncScheduleCalculator schedule, ISyncOutcomes outcomes, TimeProvider time, ILogger<SyncRunStore> logger)
{
    /// <summary>The connection and the run's start; null when either is gone (the connection was deleted and purged).</summary>
    public async Task<ConnectionSnapshot?> LoadConnectionAsync(Guid connectionId, Guid runId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(RunSql.LoadConnection);
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

    /// <summary>Marks the run succeeded and the connection healthy, in the transaction that wrote the directory.</summary>
    public async Task CompleteAsync(
        NpgsqlConnection session, Guid runId, ConnectionSnapshot connection, StageResult staged, SyncProgress progress,
        ProvisioningReport report, SyncCompleteness completeness, CancellationToken cancellationToken)
    {
        var now = PostgresTime.Microseconds(time.GetUtcNow());
        completeness = completeness with { FinishedAt = now };
        await using (var run = connection.Bind(new NpgsqlCommand(RunSql.CompleteRun, session), runId))
        {
            run.Parameters.AddWithValue("finished", now);
            run.Parameters.AddWithValue("pages", progress.Pages);
            run.Parameters.AddWithValue("resources", progress.Resources);
            run.Parameters.AddWithValue("complete", completeness.Complete);
            run.Parameters.Add(new NpgsqlParameter("completeness", NpgsqlDbType.Jsonb) { Value = CompletenessRecord.ToJson(completeness) });
            staged.Counts.AddParameters(run.Parameters);
            if (await run.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                throw new RunAbandonedException();
            }
        }

        await RecordWarningsAsync(session, runId, connection.Id, staged.Warnings, cancellationToken);

        await using (var complete = connection.Bind(new NpgsqlCommand(RunSql.CompleteConnection, session), runId))
        {
            complete.Parameters.AddWithValue("finished", now);
            complete.Parameters.AddWithValue("next", schedule.Next(now, connection.SyncIntervalMinutes));
            complete.Parameters.Add(new NpgsqlParameter("version", NpgsqlDbType.Text) { Value = (object?)report.BridgeVersion ?? DBNull.Value });
            await complete.ExecuteNonQueryAsync(cancellationToken);
        }

        report.Verdict = "succeeded";
        await InsertReportAsync(session, runId, connection.Id, now, report, cancellationToken);
        await outcomes.RecordAsync(session, new SyncOutcome(runId, connection.Id, SyncRunStatus.Succeeded, null, null, connection.ConsecutiveFailures, now), cancellationToken);
    }

    /// <summary>
    /// The run's data-quality warnings: those met while reading the bridge, then the member ids of the directory as
    /// merged that are no user or group. A run with none records a count of 0 and no list.
    /// </summary>
    private async Task RecordWarningsAsync(
        NpgsqlConnection session, Guid runId, Guid connectionId, SyncWarnings warnings, CancellationToken cancellationToken)
    {
        await using (var unknown = new NpgsqlCommand(RunSql.UnknownMembers, session))
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
        await using var record = new NpgsqlCommand(RunSql.RecordWarnings, session);
        record.Parameters.AddWithValue("r", runId);
        record.Parameters.AddWithValue("count", warnings.Count);
        record.Parameters.Add(new NpgsqlParameter("warnings", NpgsqlDbType.Jsonb) { Value = warnings.ToJson() });
        await record.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Adds warnings to a run that has ended; the database failing here only costs the warnings.</summary>
    public async Task AppendWarningsAsync(Guid runId, SyncWarning[] warnings)
    {
        if (warnings.Length == 0)
        {
            return;
        }

        try
        {
            await using var command = db.CreateCommand(RunSql.AppendWarnings);
            command.Parameters.AddWithValue("r", runId);
            command.Parameters.AddWithValue("count", warnings.Length);
            command.Parameters.Add(new NpgsqlParameter("warnings", NpgsqlDbType.Jsonb) { Value = System.Text.Json.JsonSerializer.Serialize(warnings, System.Text.Json.JsonSerializerOptions.Web) });
            await command.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            logger.LogWarning("Could not add {WarningCount} warnings to sync {RunId}: {Error}", warnings.Length, runId, ex.Message);
        }
    }

    /// <param name="completeness">What the run learnt before it stopped, recorded with complete = false.</param>
    public async Task FailAsync(Guid runId, ConnectionSnapshot connection, SyncRunStatus status, string error, BridgeFailure? failure,
        SyncProgress progress, ProvisioningReport report, SyncCompleteness completeness, bool cancelRequested = false)
    {
        var now = PostgresTime.Microseconds(time.GetUtcNow());
        completeness = completeness with { FinishedAt = now };
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
            await using (var command = new NpgsqlCommand(RunSql.FailRun, session))
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
                command.Parameters.Add(new NpgsqlParameter("completeness", NpgsqlDbType.Jsonb) { Value = CompletenessRecord.ToJson(completeness) });
                await command.ExecuteNonQueryAsync(CancellationToken.None);
            }

            report.Verdict = status.ToString().ToLowerInvariant();
            report.Error = error;
            report.TokenAccepted = unauthorized ? false : report.TokenAccepted;
            report.Reachable = report.Reachable || failure is not (BridgeFailure.Unreachable or BridgeFailure.Timeout or BridgeFailure.BlockedAddress);
            await InsertReportAsync(session, runId, connection.Id, now, report, CancellationToken.None);
            await outcomes.RecordAsync(session, new SyncOutcome(runId, connection.Id, status, failure, error, connection.ConsecutiveFailures, now), CancellationToken.None);
            await transaction.CommitAsync(CancellationToken.None);
        });
        if (recorded && status == SyncRunStatus.Failed)
        {
            logger.LogInformation(
                "Connection {ConnectionId} backs off until {NextSyncAt} after {ConsecutiveFailures} consecutive failures (status {ConnectionStatus})",
                connection.Id, next, connection.ConsecutiveFailures + 1, connectionStatus);
        }
    }

    /// <summary>Ends a run that never got its connection's details.</summary>
    public Task<bool> FailEarlyAsync(Guid runId, string error) => RecordEndAsync(runId, async () =>
    {
        await using var command = db.CreateCommand(RunSql.FailRunEarly);
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

    /// <summary>Why the run was asked to stop (an admin, or its connection's DELETE); null when nobody asked.</summary>
    public async Task<string?> CancelReasonAsync(Guid runId) => await ScalarAsync(RunSql.CancelReason, "r", runId) as string;

    /// <summary>Whether the connection is deleted or gone; false when the database cannot say.</summary>
    public async Task<bool> ConnectionDeletedAsync(Guid connectionId) => await ScalarAsync(RunSql.ConnectionDeleted, "c", connectionId) is true;

    /// <summary>A question asked while the run ends, whatever stopped it: null when the database cannot answer.</summary>
    private async Task<object?> ScalarAsync(string sql, string parameter, Guid id)
    {
        try
        {
            await using var command = db.CreateCommand(sql);
            command.Parameters.AddWithValue(parameter, id);
            return await command.ExecuteScalarAsync(CancellationToken.None);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            return null;
        }
    }

    private static async Task InsertReportAsync(NpgsqlConnection session, Guid runId, Guid connectionId, DateTimeOffset now, ProvisioningReport report, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(RunSql.InsertProvisioningReport, session);
        command.Parameters.AddWithValue("id", Guid.CreateVersion7(now));
        command.Parameters.AddWithValue("c", connectionId);
        command.Parameters.AddWithValue("r", runId);
        command.Parameters.AddWithValue("t", now);
        command.Parameters.AddWithValue("reachable", report.Reachable);
        command.Parameters.Add(new NpgsqlParameter("token_accepted", NpgsqlDbType.Boolean) { Value = (object?)report.TokenAccepted ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("version", NpgsqlDbType.Text) { Value = (object?)report.BridgeVersion ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("build", NpgsqlDbType.Text) { Value = (object?)report.BridgeBuild ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("health", NpgsqlDbType.Text) { Value = (object?)report.HealthReports ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("config", NpgsqlDbType.Text) { Value = (object?)report.ServiceProviderConfig ?? DBNull.Value });
        command.Parameters.AddWithValue("privileged", report.PrivilegedGroups);
        command.Parameters.AddWithValue("verdict", report.Verdict);
        command.Parameters.Add(new NpgsqlParameter("error", NpgsqlDbType.Text) { Value = (object?)report.Error ?? DBNull.Value });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>The connection as the run began, and the run's start.</summary>
internal sealed record ConnectionSnapshot(
    Guid Id, string ScimBaseUrl, string ProtectedToken, DateTimeOffset? LastSuccessfulSyncAt, int SyncIntervalMinutes,
    ConnectionStatus Status, int ConsecutiveFailures, DateTimeOffset RunStartedAt, bool Deleted)
{
    /// <summary>
    /// Every row a run writes is stamped with the instant the run started (@t): the directory as the bridge showed
    /// it then. An asOf query takes the last run finished by then, so a row is in a snapshot exactly when its run is.
    /// </summary>
    public NpgsqlCommand Bind(NpgsqlCommand command, Guid runId)
    {
        command.Parameters.AddWithValue("c", Id);
        command.Parameters.AddWithValue("r", runId);
        command.Parameters.AddWithValue("t", RunStartedAt);
        command.Parameters.Add(new NpgsqlParameter("prev", NpgsqlDbType.TimestampTz) { Value = (object?)LastSuccessfulSyncAt ?? DBNull.Value });
        return command;
    }
}

/// <summary>The run was marked abandoned while it ran (its lease expired): it is no longer this replica's to record.</summary>
internal sealed class RunAbandonedException()
    : InvalidOperationException("The run was marked abandoned while it ran (its lease expired) and another may have replaced it; its merge is rolled back.");
