using OnePasswordConnector.Persistence;

namespace OnePasswordConnector.Sync;

/// <summary>
/// Leases. A connection's lease (lease_owner, lease_expires_at) is the one lock on its syncs, taken the same way by a
/// manual start and by the scheduler, renewed while the sync runs and released at its end.
/// </summary>
internal static class LeaseSql
{
    /// <summary>A manual start: take the lease on one connection if nobody holds it. @owner, @expires, @c, @t.</summary>
    public const string ClaimOne = """
        UPDATE connections SET lease_owner = @owner, lease_expires_at = @expires
        WHERE id = @c AND deleted_at IS NULL AND (lease_owner IS NULL OR lease_expires_at < @t)
        RETURNING id, tenant_id
        """;

    /// <summary>
    /// The scheduler: lock up to @slots due connections nobody holds, oldest due first, skipping rows another replica is
    /// claiming right now. Within one pass each tenant gets at most its free per-tenant slots (@cap minus what this replica
    /// already runs for it, @busy_tenants/@busy_counts), so one tenant with many connections cannot take every slot.
    /// </summary>
    public const string LockDue = """
        WITH ranked AS (
            SELECT id, tenant_id, next_sync_at, row_number() OVER (PARTITION BY tenant_id ORDER BY next_sync_at, id) AS rank
            FROM connections
            WHERE enabled AND deleted_at IS NULL AND status <> 'unauthorized' AND next_sync_at <= @t
                AND (lease_owner IS NULL OR lease_expires_at < @t)
        ), eligible AS (
            SELECT ranked.id FROM ranked
            LEFT JOIN unnest(@busy_tenants::text[], @busy_counts::int[]) AS busy(tenant_id, running) USING (tenant_id)
            WHERE ranked.rank <= @cap - COALESCE(busy.running, 0)
        )
        SELECT c.id, c.tenant_id FROM connections c
        WHERE c.id IN (SELECT id FROM eligible)
            AND c.enabled AND c.deleted_at IS NULL AND c.status <> 'unauthorized' AND c.next_sync_at <= @t
            AND (c.lease_owner IS NULL OR c.lease_expires_at < @t)
        ORDER BY c.next_sync_at, c.id
        LIMIT @slots
        FOR UPDATE OF c SKIP LOCKED
        """;

    /// <summary>Take the lease on connections locked by <see cref="LockDue"/> in the same transaction. @ids, @owner, @expires.</summary>
    public const string ClaimLocked = "UPDATE connections SET lease_owner = @owner, lease_expires_at = @expires WHERE id = ANY(@ids)";

    /// <summary>Open a run under a just-taken lease; a run still 'running' from a dead holder is abandoned first. @r, @c, @t, @owner, @trigger.</summary>
    public static readonly string OpenRun = $"""
        UPDATE sync_runs SET status = 'abandoned', finished_at = @t,
            error = 'The replica running this sync stopped answering; its lease expired.'
        WHERE connection_id = @c AND status = 'running';
        INSERT INTO sync_runs (id, connection_id, trigger, status, started_at, owner, pages_read, resources_read, {SyncCounts.Columns})
        VALUES (@r, @c, @trigger, 'running', @t, @owner, 0, 0, {SyncCounts.Zeros});
        UPDATE connections SET last_sync_run_id = @r, last_sync_status = 'running' WHERE id = @c;
        """;

    /// <summary>
    /// Runs whose holder is gone (lease expired or released without the run being closed) are abandoned, and their
    /// connections made due again, so no run stays 'running' forever. @t. Returns the abandoned run and connection ids.
    /// </summary>
    public const string AbandonExpired = """
        WITH abandoned AS (
            UPDATE sync_runs r SET status = 'abandoned', finished_at = @t,
                error = 'The replica running this sync stopped answering; its lease expired.'
            FROM connections c
            WHERE r.connection_id = c.id AND r.status = 'running' AND (c.lease_owner IS NULL OR c.lease_expires_at < @t)
            RETURNING r.id, r.connection_id
        ), due AS (
            UPDATE connections c SET next_sync_at = @t,
                last_sync_status = CASE WHEN c.last_sync_run_id = abandoned.id THEN 'abandoned' ELSE c.last_sync_status END,
                last_sync_finished_at = CASE WHEN c.last_sync_run_id = abandoned.id THEN @t ELSE c.last_sync_finished_at END
            FROM abandoned
            WHERE c.id = abandoned.connection_id
        )
        SELECT id, connection_id FROM abandoned
        """;

    public const string RenewLease = "UPDATE connections SET lease_expires_at = @expires WHERE id = @c AND lease_owner = @owner";

    /// <summary>Which of this replica's running runs (@ids) someone asked to stop: an admin, or the connection's DELETE.</summary>
    public const string CancelRequested = "SELECT id FROM sync_runs WHERE id = ANY(@ids) AND status = 'running' AND cancel_requested_at IS NOT NULL";

    /// <summary>
    /// Deleted connections (@c, or all when null) that no sync holds any more lose their rows: the directory tables,
    /// which have no foreign key (a sync writes them in bulk), here, and the rest through ON DELETE CASCADE.
    /// A connection whose row an open sync transaction still references is skipped, never waited for: a later sweep takes it.
    /// </summary>
    public const string PurgeDeleted = """
        WITH purged AS (
            DELETE FROM connections WHERE id IN (
                SELECT c.id FROM connections c
                WHERE c.deleted_at IS NOT NULL AND (@c::uuid IS NULL OR c.id = @c::uuid)
                    AND (c.lease_owner IS NULL OR c.lease_expires_at < @t)
                    AND NOT EXISTS (SELECT 1 FROM sync_runs r WHERE r.connection_id = c.id AND r.status = 'running')
                FOR UPDATE SKIP LOCKED)
            RETURNING id, tenant_id),
        users AS (DELETE FROM directory_users WHERE connection_id IN (SELECT id FROM purged)),
        groups AS (DELETE FROM directory_groups WHERE connection_id IN (SELECT id FROM purged)),
        members AS (DELETE FROM memberships WHERE connection_id IN (SELECT id FROM purged))
        SELECT id, tenant_id FROM purged
        """;

    public const string ReleaseLease = "UPDATE connections SET lease_owner = NULL, lease_expires_at = NULL WHERE id = @c AND lease_owner = @owner";
}
