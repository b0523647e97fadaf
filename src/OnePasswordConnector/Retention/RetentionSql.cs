namespace OnePasswordConnector.Retention;

/// <summary>
/// What history older than the window is, table by table. Every statement deletes at most @batch rows older than the
/// connection's horizon: @cutoff, or earlier where a review still needs the directory as it stood before it.
/// Rows locked by another replica's pruning are skipped, not waited for.
/// </summary>
internal static class RetentionSql
{
    /// <summary>Per connection, the oldest instant anything still needs to answer for: @cutoff or a pinned review's.</summary>
    private const string Horizon = """
        WITH horizon AS (
            SELECT c.id AS connection_id,
                LEAST(@cutoff::timestamptz, (SELECT min(rv.run_started_at) FROM reviews rv WHERE rv.connection_id = c.id)) AS before
            FROM connections c
        )
        """;

    public static readonly IReadOnlyList<(string Table, string Sql)> Statements =
    [
        ("user_history", Prune("user_history", "valid_to < h.before")),
        ("group_history", Prune("group_history", "valid_to < h.before")),
        ("membership_history", Prune("membership_history", "valid_to < h.before")),
        ("memberships", Prune("memberships", "removed_at < h.before")),
        ("directory_users", Prune("directory_users", "removed_at < h.before")),
        ("directory_groups", Prune("directory_groups", "removed_at < h.before")),
        ("change_events", Prune("change_events", "occurred_at < h.before")),
        ("provisioning_reports", Prune("provisioning_reports",
            "recorded_at < h.before AND t.recorded_at < (SELECT max(p.recorded_at) FROM provisioning_reports p WHERE p.connection_id = t.connection_id)")),
        // The last succeeded run before the horizon stays: a point-in-time answer inside the window is read as of it.
        ("sync_runs", Prune("sync_runs", """
            finished_at < h.before AND t.status <> 'running' AND NOT EXISTS (SELECT 1 FROM connections c WHERE c.last_sync_run_id = t.id)
            AND NOT EXISTS (SELECT 1 FROM reviews rv WHERE rv.sync_run_id = t.id)
            AND t.id IS DISTINCT FROM (SELECT r.id FROM sync_runs r WHERE r.connection_id = t.connection_id AND r.status = 'succeeded'
                AND r.finished_at < h.before ORDER BY r.finished_at DESC LIMIT 1)
            """)),
    ];

    private static string Prune(string table, string older) => $"""
        {Horizon}
        DELETE FROM {table} WHERE ctid = ANY (ARRAY(
            SELECT t.ctid FROM {table} t JOIN horizon h ON h.connection_id = t.connection_id
            WHERE t.{older}
            LIMIT @batch FOR UPDATE OF t SKIP LOCKED))
        """;
}
