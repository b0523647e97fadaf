namespace OnePasswordConnector.Webhooks;

/// <summary>
/// The outbox and its worker in SQL. Events are written by <see cref="FanOut"/> in the transaction of the change that
/// causes them, only when some subscription of the tenant wants their type, with one pending delivery per such
/// subscription; a disabled subscription's deliveries wait until it is enabled again. The worker claims deliveries with <c>FOR UPDATE SKIP LOCKED</c>, so replicas never claim the same one.
/// </summary>
internal static class WebhookSql
{
    /// <summary>
    /// Inserts the events a candidate query yields and their deliveries. The candidate query has the columns
    /// connection_id, run_id, occurred_at, ordinal (orders one connection's events), type (null: no webhook event),
    /// detail (jsonb merged into the payload's data) and dedupe_key (null, or a key that makes the insert happen once).
    /// Event ids follow (connection, ordinal), which is the order a subscriber gets one connection's events in.
    /// </summary>
    private static string FanOut(string candidates) => $"""
        WITH candidate AS ({candidates}),
        wanted AS (
            SELECT c.*, con.tenant_id, con.name AS connection_name
            FROM candidate c JOIN connections con ON con.id = c.connection_id
            WHERE c.type IS NOT NULL
              AND EXISTS (SELECT 1 FROM webhook_subscriptions s WHERE s.tenant_id = con.tenant_id AND c.type = ANY (s.events))),
        inserted AS (
            INSERT INTO webhook_events (tenant_id, connection_id, type, occurred_at, payload, dedupe_key)
            SELECT w.tenant_id, w.connection_id, w.type, w.occurred_at,
                jsonb_build_object('type', w.type, 'timestamp', w.occurred_at, 'data',
                    jsonb_build_object('tenantId', w.tenant_id, 'connectionId', w.connection_id, 'connectionName', w.connection_name,
                        'runId', w.run_id, 'occurredAt', w.occurred_at) || w.detail)::text,
                w.dedupe_key
            FROM wanted w
            ORDER BY w.connection_id, w.ordinal
            ON CONFLICT (dedupe_key) DO NOTHING
            RETURNING id, tenant_id, connection_id, type)
        INSERT INTO webhook_deliveries (id, subscription_id, event_id, connection_id, status, attempts, next_attempt_at, created_at)
        SELECT gen_random_uuid(), s.id, i.id, i.connection_id, 'pending', 0, @now, @now
        FROM inserted i JOIN webhook_subscriptions s ON s.tenant_id = i.tenant_id AND i.type = ANY (s.events)
        """;

    /// <summary>
    /// A run's events, in the run's transaction: its change events as access and user events, then the outcome events the
    /// caller names (@types, @details), all only if the run really ended so (@r, @status, @now is its finished_at).
    /// @privileged: lower-case names of the privileged groups.
    /// </summary>
    public static readonly string RunEvents = FanOut("""
        SELECT ce.connection_id, ce.sync_run_id AS run_id, ce.occurred_at, ce.id AS ordinal,
            CASE
                WHEN ce.kind = 'membership_added' AND lower(ce.group_name) = ANY (@privileged) THEN 'access.privileged_granted'
                WHEN ce.kind = 'membership_removed' AND lower(ce.group_name) = ANY (@privileged) THEN 'access.privileged_revoked'
                WHEN ce.kind = 'user_added' THEN 'user.joined'
                WHEN ce.kind = 'user_removed' THEN 'user.left'
                WHEN ce.kind = 'user_deactivated' THEN 'user.deactivated'
            END AS type,
            CASE WHEN ce.kind LIKE 'membership%'
                THEN jsonb_build_object(
                    'member', jsonb_build_object('id', ce.subject_id, 'name', ce.subject_name, 'type', COALESCE(ce.after, ce.before) ->> 'memberType'),
                    'group', jsonb_build_object('id', ce.group_id, 'name', ce.group_name))
                ELSE jsonb_build_object('user', jsonb_build_object('id', ce.subject_id, 'userName', ce.subject_name))
            END AS detail,
            NULL::text AS dedupe_key
        FROM change_events ce
        WHERE ce.sync_run_id = @r AND @status = 'succeeded'
          AND EXISTS (SELECT 1 FROM sync_runs r WHERE r.id = @r AND r.status = @status AND r.finished_at = @now)
        UNION ALL
        SELECT @c, @r, @now, 9000000000000000000 + o.ordinal, o.type, o.detail, NULL
        FROM unnest(@types::text[], @details::jsonb[]) WITH ORDINALITY AS o(type, detail, ordinal)
        WHERE EXISTS (SELECT 1 FROM sync_runs r WHERE r.id = @r AND r.status = @status AND r.finished_at = @now)
        """);

    /// <summary>
    /// connection.stale for every enabled connection without a successful sync for twice its interval (counted from its
    /// registration before its first), once per stale spell (the dedupe key names the last success). A replica skips
    /// the connections another is checking. @now.
    /// </summary>
    public static readonly string StaleConnections = FanOut("""
        SELECT c.id AS connection_id, c.last_sync_run_id AS run_id, @now AS occurred_at, 0::bigint AS ordinal, 'connection.stale' AS type,
            jsonb_build_object('lastSuccessfulSyncAt', c.last_successful_sync_at, 'syncIntervalMinutes', c.sync_interval_minutes,
                'staleSince', COALESCE(c.last_successful_sync_at, c.created_at) + make_interval(mins => 2 * c.sync_interval_minutes)) AS detail,
            'connection.stale:' || c.id || ':' || (extract(epoch FROM COALESCE(c.last_successful_sync_at, c.created_at)) * 1000000)::bigint AS dedupe_key
        FROM connections c
        WHERE c.enabled AND c.deleted_at IS NULL
          AND COALESCE(c.last_successful_sync_at, c.created_at) + make_interval(mins => 2 * c.sync_interval_minutes) <= @now
          AND EXISTS (SELECT 1 FROM webhook_subscriptions s WHERE s.tenant_id = c.tenant_id AND 'connection.stale' = ANY (s.events))
          AND NOT EXISTS (SELECT 1 FROM webhook_events e
                          WHERE e.dedupe_key = 'connection.stale:' || c.id || ':' || (extract(epoch FROM COALESCE(c.last_successful_sync_at, c.created_at)) * 1000000)::bigint)
        FOR NO KEY UPDATE OF c SKIP LOCKED
        """);

    /// <summary>
    /// Claims up to @batch due deliveries of enabled subscriptions, each the oldest pending one of its subscription and
    /// connection (so one connection's events arrive in order), and reserves them until @until: a replica that dies
    /// holding one only delays it. @now, @until, @batch.
    /// </summary>
    public const string Claim = """
        WITH due AS (
            SELECT d.id
            FROM webhook_deliveries d
            JOIN webhook_subscriptions s ON s.id = d.subscription_id AND s.enabled
            WHERE d.status = 'pending' AND d.next_attempt_at <= @now
              AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p
                              WHERE p.subscription_id = d.subscription_id AND p.connection_id = d.connection_id
                                AND p.status = 'pending' AND p.event_id < d.event_id)
            ORDER BY d.next_attempt_at, d.event_id
            LIMIT @batch
            FOR UPDATE OF d SKIP LOCKED)
        UPDATE webhook_deliveries d SET next_attempt_at = @until, attempts = d.attempts + 1
        FROM due, webhook_events e, webhook_subscriptions s
        WHERE d.id = due.id AND e.id = d.event_id AND s.id = d.subscription_id
        RETURNING d.id, d.subscription_id, d.event_id, d.attempts, d.created_at, e.type, e.payload, s.url, s.protected_secret
        """;

    /// <summary>Keeps one attempt. @id, @at, @status_code, @error, @duration, @replica.</summary>
    public const string RecordAttempt = """
        INSERT INTO webhook_attempts (delivery_id, attempted_at, status_code, error, duration_ms, replica)
        VALUES (@id, @at, @status_code, @error, @duration, @replica)
        """;

    /// <summary>A 2xx: the delivery is done. Only while it is still this claim's (@attempts).</summary>
    public const string Succeeded = """
        UPDATE webhook_deliveries SET status = 'succeeded', finished_at = @at
        WHERE id = @id AND status = 'pending' AND attempts = @attempts
        """;

    /// <summary>A failed attempt within the retry window: try again at @next.</summary>
    public const string RetryLater = """
        UPDATE webhook_deliveries SET next_attempt_at = @next
        WHERE id = @id AND status = 'pending' AND attempts = @attempts
        """;

    /// <summary>Gives up on the delivery and disables its subscription with @reason, in one transaction.</summary>
    public const string GiveUp = """
        WITH failed AS (
            UPDATE webhook_deliveries SET status = 'failed', finished_at = @at
            WHERE id = @id AND status = 'pending' AND attempts = @attempts
            RETURNING subscription_id)
        UPDATE webhook_subscriptions s SET enabled = false, disabled_reason = @reason, updated_at = @at
        FROM failed f WHERE s.id = f.subscription_id AND s.enabled
        """;

    /// <summary>A delivery and its attempts, newest first. @s subscription, @limit.</summary>
    public const string ListDeliveries = """
        SELECT d.id, d.event_id, e.type, d.connection_id, d.status, d.attempts, d.next_attempt_at, d.created_at, d.finished_at,
            COALESCE((SELECT jsonb_agg(jsonb_build_object('attemptedAt', a.attempted_at, 'statusCode', a.status_code, 'error', a.error,
                         'durationMs', a.duration_ms) ORDER BY a.attempted_at, a.id)
                      FROM webhook_attempts a WHERE a.delivery_id = d.id), '[]'::jsonb)::text
        FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
        WHERE d.subscription_id = @s
        ORDER BY d.created_at DESC, d.event_id DESC
        LIMIT @limit
        """;
}
