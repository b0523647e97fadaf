using OnePasswordConnector.Persistence;

namespace OnePasswordConnector.Sync;

/// <summary>The run's bookkeeping: its connection as it starts, its progress, warnings, report and end. @r run, @c connection.</summary>
internal static class RunSql
{
    /// <summary>The connection and the run's start; no row when either is gone. @c, @r.</summary>
    public const string LoadConnection = """
        SELECT c.scim_base_url, c.protected_token, c.last_successful_sync_at, c.sync_interval_minutes, c.status, c.consecutive_failures,
            r.started_at, c.deleted_at IS NOT NULL
        FROM connections c JOIN sync_runs r ON r.connection_id = c.id AND r.id = @r
        WHERE c.id = @c
        """;

    // Materialised so that the anti-joins are planned for the whole directory: planned under the LIMIT, they became
    // an ordered walk of every membership probing both indexes, as the planner expects thousands of unknown members
    // where there are usually none (seconds at 500,000 memberships, against a fraction of one for two hash joins).
    /// <summary>
    /// Members of the directory as merged that are no current user or group of the connection, for the run's
    /// data-quality warnings: the first @limit in order, each row with the total. @c, @limit.
    /// </summary>
    public const string UnknownMembers = """
        WITH unknown AS MATERIALIZED (
            SELECT m.group_id, m.member_id
            FROM memberships m
            WHERE m.connection_id = @c AND m.removed_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM directory_users u WHERE u.connection_id = @c AND u.scim_id = m.member_id AND u.removed_at IS NULL)
              AND NOT EXISTS (SELECT 1 FROM directory_groups g WHERE g.connection_id = @c AND g.scim_id = m.member_id AND g.removed_at IS NULL))
        SELECT group_id, member_id, count(*) OVER ()::int
        FROM unknown
        ORDER BY group_id, member_id
        LIMIT @limit
        """;

    /// <summary>Warnings met after the run committed (its sign-in collection), added to those it has. @r, @count, @warnings.</summary>
    public const string AppendWarnings = """
        UPDATE sync_runs SET warning_count = warning_count + @count,
            warnings = CASE WHEN jsonb_array_length(COALESCE(warnings, '[]'::jsonb)) < 100 THEN COALESCE(warnings, '[]'::jsonb) || @warnings ELSE warnings END
        WHERE id = @r
        """;

    /// <summary>The run's data-quality warnings: how many in all, and the first ones in full. @r, @count, @warnings.</summary>
    public const string RecordWarnings = "UPDATE sync_runs SET warning_count = @count, warnings = @warnings WHERE id = @r";

    /// <summary>Ends the run with its completeness record (@complete, @completeness); the connection follows.</summary>
    public static readonly string CompleteRun = $"""
        UPDATE sync_runs SET status = 'succeeded', finished_at = @finished, complete = @complete, completeness = @completeness,
            pages_read = @pages, resources_read = @resources,
            {SyncCounts.Assignments}
        WHERE id = @r AND status = 'running'
        """;

    /// <summary>Only after <see cref="CompleteRun"/> found the run still running: a run abandoned and replaced never commits.</summary>
    public const string CompleteConnection = """
        UPDATE connections SET status = 'healthy', last_error = NULL, consecutive_failures = 0, last_sync_run_id = @r,
            last_sync_status = 'succeeded', last_sync_finished_at = @finished, last_successful_sync_at = @finished, next_sync_at = @next,
            bridge_version = COALESCE(@version, bridge_version),
            lease_owner = CASE WHEN lease_owner = (SELECT owner FROM sync_runs WHERE id = @r) THEN NULL ELSE lease_owner END,
            lease_expires_at = CASE WHEN lease_owner = (SELECT owner FROM sync_runs WHERE id = @r) THEN NULL ELSE lease_expires_at END,
            updated_at = @finished
        WHERE id = @c;
        """;

    // The connection is only updated while this run is still its latest: a run abandoned and replaced by another
    // replica's must not overwrite what the newer run recorded.
    public const string FailRun = """
        UPDATE sync_runs SET status = @status, finished_at = @t, pages_read = @pages, resources_read = @resources, error = @error,
            complete = false, completeness = @completeness
        WHERE id = @r AND status = 'running';
        UPDATE connections SET status = @connection_status, last_error = @error,
            consecutive_failures = consecutive_failures + CASE WHEN @status = 'failed' THEN 1 ELSE 0 END,
            last_sync_run_id = @r, last_sync_status = @status, last_sync_finished_at = @t, next_sync_at = @next,
            lease_owner = CASE WHEN lease_owner = (SELECT owner FROM sync_runs WHERE id = @r) THEN NULL ELSE lease_owner END,
            lease_expires_at = CASE WHEN lease_owner = (SELECT owner FROM sync_runs WHERE id = @r) THEN NULL ELSE lease_expires_at END,
            updated_at = @t
        WHERE id = @c AND last_sync_run_id = @r AND EXISTS (SELECT 1 FROM sync_runs WHERE id = @r AND status = @status AND finished_at = @t);
        """;

    /// <summary>A run that failed before it could read its connection: the connection's schedule is left as it was.</summary>
    public const string FailRunEarly = """
        UPDATE sync_runs SET status = 'failed', finished_at = @t, error = @error WHERE id = @r AND status = 'running';
        UPDATE connections c SET last_sync_status = 'failed', last_sync_finished_at = @t, last_error = @error,
            lease_owner = NULL, lease_expires_at = NULL, updated_at = @t
        FROM sync_runs r
        WHERE r.id = @r AND c.id = r.connection_id AND c.last_sync_run_id = @r AND c.lease_owner = r.owner;
        """;

    public const string Progress = "UPDATE sync_runs SET pages_read = @pages, resources_read = @resources WHERE id = @r AND status = 'running'";

    public const string InsertProvisioningReport = """
        INSERT INTO provisioning_reports (id, connection_id, sync_run_id, recorded_at, reachable, token_accepted, bridge_version,
            bridge_build, health_reports, service_provider_config, privileged_groups, verdict, error)
        VALUES (@id, @c, @r, @t, @reachable, @token_accepted, @version, @build, @health::jsonb, @config::jsonb, @privileged, @verdict, @error)
        """;

    /// <summary>Why a run was asked to stop (@r); no row or null when nobody asked.</summary>
    public const string CancelReason = "SELECT cancel_reason FROM sync_runs WHERE id = @r";

    /// <summary>Whether the connection is gone or deleted. @c.</summary>
    public const string ConnectionDeleted = "SELECT NOT EXISTS (SELECT 1 FROM connections WHERE id = @c AND deleted_at IS NULL)";
}
