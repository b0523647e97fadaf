namespace OnePasswordConnector.Sync;

/// <summary>
/// The sync hot path in SQL. A sync streams the bridge into session temp tables with binary COPY, then one
/// transaction diffs them against the current tables: new and changed rows are upserted (their old state moved to
/// history), rows the complete enumeration did not see are marked removed, and every difference becomes a change event.
/// Parameters: @c connection, @r run, @t the sync's instant, @prev the previous successful sync's instant.
/// </summary>
internal static class SyncSql
{
    public const string CreateStaging = """
        DROP TABLE IF EXISTS stage_users, stage_groups, stage_members, stage_removed;
        CREATE TEMP TABLE stage_users (
            scim_id text NOT NULL, external_id text, user_name text NOT NULL, given_name text, family_name text,
            formatted_name text, display_name text, primary_email text, emails text[] NOT NULL, active boolean NOT NULL,
            state text, scim_created_at timestamptz, scim_last_modified_at timestamptz, raw jsonb NOT NULL, content_hash bytea NOT NULL);
        CREATE TEMP TABLE stage_groups (
            scim_id text NOT NULL, display_name text NOT NULL, external_id text, scim_created_at timestamptz,
            scim_last_modified_at timestamptz, raw jsonb NOT NULL, content_hash bytea NOT NULL, members_hash bytea,
            members_restaged boolean NOT NULL);
        CREATE TEMP TABLE stage_members (group_id text NOT NULL, member_id text NOT NULL, member_type text NOT NULL);
        CREATE TEMP TABLE stage_removed (resource text NOT NULL, scim_id text NOT NULL);
        """;

    public const string CopyUsers = """
        COPY stage_users (scim_id, external_id, user_name, given_name, family_name, formatted_name, display_name,
            primary_email, emails, active, state, scim_created_at, scim_last_modified_at, raw, content_hash) FROM STDIN (FORMAT BINARY)
        """;

    public const string CopyGroups = """
        COPY stage_groups (scim_id, display_name, external_id, scim_created_at, scim_last_modified_at, raw, content_hash, members_hash,
            members_restaged) FROM STDIN (FORMAT BINARY)
        """;

    public const string CopyRemoved = "COPY stage_removed (resource, scim_id) FROM STDIN (FORMAT BINARY)";

    public const string CopyMembers = "COPY stage_members (group_id, member_id, member_type) FROM STDIN (FORMAT BINARY)";

    public const string DropStaging = "DROP TABLE IF EXISTS stage_users, stage_groups, stage_members, stage_removed";

    /// <summary>Planner statistics for the staged rows, so the diff joins pick hash joins at any size.</summary>
    public const string AnalyzeStaging = "ANALYZE stage_users; ANALYZE stage_groups; ANALYZE stage_members; ANALYZE stage_removed;";

    /// <summary>
    /// A connection's first successful sync is its baseline: everything is new, so rows are copied straight into the
    /// directory tables, and no change events are written (the feed starts from the baseline).
    /// </summary>
    public const string CopyBaselineUsers = """
        COPY directory_users (connection_id, scim_id, external_id, user_name, given_name, family_name, formatted_name, display_name,
            primary_email, emails, active, state, scim_created_at, scim_last_modified_at, raw, content_hash,
            valid_from, first_seen_at, last_seen_at) FROM STDIN (FORMAT BINARY)
        """;

    public const string CopyBaselineGroups = """
        COPY directory_groups (connection_id, scim_id, display_name, external_id, scim_created_at, scim_last_modified_at, raw, content_hash,
            members_hash, valid_from, first_seen_at, last_seen_at) FROM STDIN (FORMAT BINARY)
        """;

    public const string CopyBaselineMembers = """
        COPY memberships (connection_id, group_id, member_id, member_type, valid_from, first_seen_at, last_seen_at) FROM STDIN (FORMAT BINARY)
        """;

    /// <summary>After a baseline, the next sync's diff is planned on real row counts.</summary>
    public const string AnalyzeDirectory = "ANALYZE directory_users; ANALYZE directory_groups; ANALYZE memberships;";

    public const string MergeUsers = """
        CREATE TEMP TABLE user_diff ON COMMIT DROP AS
        SELECT s.*, u.scim_id IS NULL AS is_new, u.removed_at IS NOT NULL AS was_removed, u.external_id AS old_external_id,
               u.user_name AS old_user_name, u.display_name AS old_display_name, u.formatted_name AS old_formatted_name,
               u.given_name AS old_given_name, u.family_name AS old_family_name, u.emails AS old_emails,
               u.primary_email AS old_primary_email, u.active AS old_active, u.state AS old_state
        FROM stage_users s
        LEFT JOIN directory_users u ON u.connection_id = @c AND u.scim_id = s.scim_id
        WHERE u.scim_id IS NULL OR u.removed_at IS NOT NULL OR u.content_hash <> s.content_hash;

        -- Staged because its content hash differs, yet no stored attribute changed (only an attribute the product does
        -- not keep in a column did, or the hash is of an earlier formula): the raw JSON and the hash are refreshed
        -- quietly, with no history row, no change event, and not counted as changed.
        WITH quiet AS (
            DELETE FROM user_diff d
            WHERE NOT d.is_new AND NOT d.was_removed
              AND (d.external_id, d.user_name, d.given_name, d.family_name, d.formatted_name, d.display_name, d.primary_email,
                   d.emails, d.active, d.state) IS NOT DISTINCT FROM
                  (d.old_external_id, d.old_user_name, d.old_given_name, d.old_family_name, d.old_formatted_name,
                   d.old_display_name, d.old_primary_email, d.old_emails, d.old_active, d.old_state)
            RETURNING d.scim_id, d.raw, d.content_hash, d.scim_created_at, d.scim_last_modified_at)
        UPDATE directory_users u SET raw = q.raw, content_hash = q.content_hash, scim_created_at = q.scim_created_at,
            scim_last_modified_at = q.scim_last_modified_at
        FROM quiet q
        WHERE u.connection_id = @c AND u.scim_id = q.scim_id;

        INSERT INTO change_events (connection_id, sync_run_id, occurred_at, kind, subject_id, subject_name, before, after)
        SELECT @c, @r, @t, 'user_added', d.scim_id, d.user_name, NULL,
            jsonb_build_object('userName', d.user_name, 'displayName', d.display_name, 'emails', to_jsonb(d.emails), 'active', d.active)
        FROM user_diff d WHERE d.is_new OR d.was_removed
        UNION ALL
        SELECT @c, @r, @t, k.kind, d.scim_id, d.user_name, k.before, k.after
        FROM user_diff d
        CROSS JOIN LATERAL (VALUES
            ('user_renamed',
                (d.user_name, d.display_name, d.formatted_name, d.given_name, d.family_name) IS DISTINCT FROM
                (d.old_user_name, d.old_display_name, d.old_formatted_name, d.old_given_name, d.old_family_name),
                jsonb_build_object('userName', d.old_user_name, 'displayName', d.old_display_name, 'formattedName', d.old_formatted_name,
                    'givenName', d.old_given_name, 'familyName', d.old_family_name),
                jsonb_build_object('userName', d.user_name, 'displayName', d.display_name, 'formattedName', d.formatted_name,
                    'givenName', d.given_name, 'familyName', d.family_name)),
            ('user_external_id_changed', d.external_id IS DISTINCT FROM d.old_external_id,
                jsonb_build_object('externalId', d.old_external_id), jsonb_build_object('externalId', d.external_id)),
            ('user_email_changed', (d.emails, d.primary_email) IS DISTINCT FROM (d.old_emails, d.old_primary_email),
                jsonb_build_object('emails', to_jsonb(d.old_emails), 'primaryEmail', d.old_primary_email),
                jsonb_build_object('emails', to_jsonb(d.emails), 'primaryEmail', d.primary_email)),
            ('user_deactivated', d.old_active AND NOT d.active, jsonb_build_object('active', true), jsonb_build_object('active', false)),
            ('user_reactivated', NOT d.old_active AND d.active, jsonb_build_object('active', false), jsonb_build_object('active', true)),
            ('user_state_changed', d.state IS DISTINCT FROM d.old_state, jsonb_build_object('state', d.old_state), jsonb_build_object('state', d.state))
        ) AS k(kind, applies, before, after)
        WHERE NOT d.is_new AND NOT d.was_removed AND k.applies;

        INSERT INTO user_history (connection_id, scim_id, valid_from, valid_to, external_id, user_name, given_name, family_name,
            formatted_name, display_name, primary_email, emails, active, state)
        SELECT u.connection_id, u.scim_id, u.valid_from, COALESCE(u.removed_at, @t), u.external_id, u.user_name, u.given_name,
            u.family_name, u.formatted_name, u.display_name, u.primary_email, u.emails, u.active, u.state
        FROM directory_users u JOIN user_diff d ON u.connection_id = @c AND u.scim_id = d.scim_id
        WHERE NOT d.is_new;

        INSERT INTO directory_users (connection_id, scim_id, external_id, user_name, given_name, family_name, formatted_name,
            display_name, primary_email, emails, active, state, scim_created_at, scim_last_modified_at, raw, content_hash,
            valid_from, first_seen_at, last_seen_at, removed_at)
        SELECT @c, scim_id, external_id, user_name, given_name, family_name, formatted_name, display_name, primary_email,
            emails, active, state, scim_created_at, scim_last_modified_at, raw, content_hash, @t, @t, @t, NULL
        FROM user_diff
        ON CONFLICT (connection_id, scim_id) DO UPDATE SET
            external_id = excluded.external_id, user_name = excluded.user_name, given_name = excluded.given_name,
            family_name = excluded.family_name, formatted_name = excluded.formatted_name, display_name = excluded.display_name,
            primary_email = excluded.primary_email, emails = excluded.emails, active = excluded.active, state = excluded.state,
            scim_created_at = excluded.scim_created_at, scim_last_modified_at = excluded.scim_last_modified_at,
            raw = excluded.raw, content_hash = excluded.content_hash, valid_from = @t, last_seen_at = @t, removed_at = NULL;

        WITH gone AS (
            UPDATE directory_users u SET removed_at = @t, last_seen_at = COALESCE(@prev, u.last_seen_at)
            FROM stage_removed r
            WHERE r.resource = 'User' AND u.connection_id = @c AND u.scim_id = r.scim_id AND u.removed_at IS NULL
            RETURNING u.scim_id, u.user_name, u.display_name, u.active)
        INSERT INTO change_events (connection_id, sync_run_id, occurred_at, kind, subject_id, subject_name, before, after)
        SELECT @c, @r, @t, 'user_removed', scim_id, user_name,
            jsonb_build_object('userName', user_name, 'displayName', display_name, 'active', active), NULL
        FROM gone;

        SELECT count(*) FILTER (WHERE is_new OR was_removed)::int, count(*) FILTER (WHERE NOT is_new AND NOT was_removed)::int,
            (SELECT count(*)::int FROM change_events WHERE sync_run_id = @r AND kind = 'user_removed')
        FROM user_diff;
        """;

    public const string MergeGroups = """
        CREATE TEMP TABLE group_diff ON COMMIT DROP AS
        SELECT s.*, g.scim_id IS NULL AS is_new, g.removed_at IS NOT NULL AS was_removed, g.display_name AS old_display_name,
               g.external_id AS old_external_id
        FROM stage_groups s
        LEFT JOIN directory_groups g ON g.connection_id = @c AND g.scim_id = s.scim_id
        WHERE g.scim_id IS NULL OR g.removed_at IS NOT NULL OR g.content_hash <> s.content_hash;

        -- As for users: a differing hash with the same stored attributes refreshes the evidence quietly.
        WITH quiet AS (
            DELETE FROM group_diff d
            WHERE NOT d.is_new AND NOT d.was_removed
              AND (d.display_name, d.external_id) IS NOT DISTINCT FROM (d.old_display_name, d.old_external_id)
            RETURNING d.scim_id, d.raw, d.content_hash, d.scim_created_at, d.scim_last_modified_at)
        UPDATE directory_groups g SET raw = q.raw, content_hash = q.content_hash, scim_created_at = q.scim_created_at,
            scim_last_modified_at = q.scim_last_modified_at
        FROM quiet q
        WHERE g.connection_id = @c AND g.scim_id = q.scim_id;

        INSERT INTO change_events (connection_id, sync_run_id, occurred_at, kind, subject_id, subject_name, group_id, group_name, before, after)
        SELECT @c, @r, @t, 'group_added', scim_id, display_name, scim_id, display_name, NULL, jsonb_build_object('displayName', display_name)
        FROM group_diff WHERE is_new OR was_removed
        UNION ALL
        SELECT @c, @r, @t, 'group_renamed', scim_id, display_name, scim_id, display_name,
            jsonb_build_object('displayName', old_display_name), jsonb_build_object('displayName', display_name)
        FROM group_diff WHERE NOT is_new AND NOT was_removed AND display_name IS DISTINCT FROM old_display_name
        UNION ALL
        SELECT @c, @r, @t, 'group_external_id_changed', scim_id, display_name, scim_id, display_name,
            jsonb_build_object('externalId', old_external_id), jsonb_build_object('externalId', external_id)
        FROM group_diff WHERE NOT is_new AND NOT was_removed AND external_id IS DISTINCT FROM old_external_id;

        INSERT INTO group_history (connection_id, scim_id, valid_from, valid_to, display_name)
        SELECT g.connection_id, g.scim_id, g.valid_from, COALESCE(g.removed_at, @t), g.display_name
        FROM directory_groups g JOIN group_diff d ON g.connection_id = @c AND g.scim_id = d.scim_id
        WHERE NOT d.is_new;

        INSERT INTO directory_groups (connection_id, scim_id, display_name, external_id, scim_created_at, scim_last_modified_at,
            raw, content_hash, members_hash, valid_from, first_seen_at, last_seen_at, removed_at)
        SELECT @c, scim_id, display_name, external_id, scim_created_at, scim_last_modified_at, raw, content_hash, members_hash, @t, @t, @t, NULL
        FROM group_diff
        ON CONFLICT (connection_id, scim_id) DO UPDATE SET
            display_name = excluded.display_name, external_id = excluded.external_id, scim_created_at = excluded.scim_created_at,
            scim_last_modified_at = excluded.scim_last_modified_at, raw = excluded.raw, content_hash = excluded.content_hash,
            members_hash = excluded.members_hash, valid_from = @t, last_seen_at = @t, removed_at = NULL;

        UPDATE directory_groups g SET members_hash = s.members_hash
        FROM stage_groups s
        WHERE s.members_restaged AND g.connection_id = @c AND g.scim_id = s.scim_id;

        WITH gone AS (
            UPDATE directory_groups g SET removed_at = @t, last_seen_at = COALESCE(@prev, g.last_seen_at)
            FROM stage_removed r
            WHERE r.resource = 'Group' AND g.connection_id = @c AND g.scim_id = r.scim_id AND g.removed_at IS NULL
            RETURNING g.scim_id, g.display_name)
        INSERT INTO change_events (connection_id, sync_run_id, occurred_at, kind, subject_id, subject_name, group_id, group_name, before, after)
        SELECT @c, @r, @t, 'group_removed', scim_id, display_name, scim_id, display_name, jsonb_build_object('displayName', display_name), NULL
        FROM gone;

        SELECT count(*) FILTER (WHERE is_new OR was_removed)::int, count(*) FILTER (WHERE NOT is_new AND NOT was_removed)::int,
            (SELECT count(*)::int FROM change_events WHERE sync_run_id = @r AND kind = 'group_removed')
        FROM group_diff;
        """;

    /// <summary>
    /// Only groups whose member list was restaged (it changed) and groups that are gone can lose members. Groups
    /// whose member list could not be read are never restaged: not seeing a member is not evidence that it left.
    /// </summary>
    public const string MergeMemberships = """
        CREATE TEMP TABLE membership_added ON COMMIT DROP AS
        SELECT s.group_id, s.member_id, s.member_type, m.group_id IS NOT NULL AS was_removed,
               m.valid_from AS old_valid_from, m.removed_at AS old_removed_at, m.member_type AS old_member_type
        FROM stage_members s
        LEFT JOIN memberships m ON m.connection_id = @c AND m.group_id = s.group_id AND m.member_id = s.member_id
        WHERE m.group_id IS NULL OR m.removed_at IS NOT NULL;

        INSERT INTO membership_history (connection_id, group_id, member_id, member_type, valid_from, valid_to)
        SELECT @c, group_id, member_id, old_member_type, old_valid_from, old_removed_at
        FROM membership_added WHERE was_removed;

        INSERT INTO memberships (connection_id, group_id, member_id, member_type, valid_from, first_seen_at, last_seen_at, removed_at)
        SELECT @c, group_id, member_id, member_type, @t, @t, @t, NULL FROM membership_added
        ON CONFLICT (connection_id, group_id, member_id) DO UPDATE SET
            member_type = excluded.member_type, valid_from = @t, last_seen_at = @t, removed_at = NULL;

        INSERT INTO change_events (connection_id, sync_run_id, occurred_at, kind, subject_id, subject_name, group_id, group_name, before, after)
        SELECT @c, @r, @t, 'membership_added', a.member_id, COALESCE(u.user_name, mg.display_name), a.group_id, g.display_name,
            NULL, jsonb_build_object('memberType', a.member_type)
        FROM membership_added a
        LEFT JOIN directory_groups g ON g.connection_id = @c AND g.scim_id = a.group_id
        LEFT JOIN directory_users u ON a.member_type = 'User' AND u.connection_id = @c AND u.scim_id = a.member_id
        LEFT JOIN directory_groups mg ON a.member_type = 'Group' AND mg.connection_id = @c AND mg.scim_id = a.member_id;

        WITH left_groups AS (
            SELECT m.group_id, m.member_id
            FROM stage_groups g
            JOIN memberships m ON m.connection_id = @c AND m.group_id = g.scim_id AND m.removed_at IS NULL
            WHERE g.members_restaged
              AND NOT EXISTS (SELECT 1 FROM stage_members s WHERE s.group_id = m.group_id AND s.member_id = m.member_id)
            UNION ALL
            SELECT m.group_id, m.member_id
            FROM stage_removed r
            JOIN memberships m ON m.connection_id = @c AND m.group_id = r.scim_id AND m.removed_at IS NULL
            WHERE r.resource = 'Group'),
        gone AS (
            UPDATE memberships m SET removed_at = @t, last_seen_at = COALESCE(@prev, m.last_seen_at)
            FROM left_groups x
            WHERE m.connection_id = @c AND m.group_id = x.group_id AND m.member_id = x.member_id
            RETURNING m.group_id, m.member_id, m.member_type)
        INSERT INTO change_events (connection_id, sync_run_id, occurred_at, kind, subject_id, subject_name, group_id, group_name, before, after)
        SELECT @c, @r, @t, 'membership_removed', x.member_id, COALESCE(u.user_name, mg.display_name), x.group_id, g.display_name,
            jsonb_build_object('memberType', x.member_type), NULL
        FROM gone x
        LEFT JOIN directory_groups g ON g.connection_id = @c AND g.scim_id = x.group_id
        LEFT JOIN directory_users u ON x.member_type = 'User' AND u.connection_id = @c AND u.scim_id = x.member_id
        LEFT JOIN directory_groups mg ON x.member_type = 'Group' AND mg.connection_id = @c AND mg.scim_id = x.member_id;

        SELECT (SELECT count(*)::int FROM membership_added),
            (SELECT count(*)::int FROM change_events WHERE sync_run_id = @r AND kind = 'membership_removed'),
            (SELECT count(*)::int FROM change_events WHERE sync_run_id = @r);
        """;

    /// <summary>
    /// Members of the directory as merged that are no current user or group of the connection, for the run's
    /// data-quality warnings: the first @limit in order, each row with the total. @c, @limit.
    /// </summary>
    public const string UnknownMembers = """
        SELECT m.group_id, m.member_id, count(*) OVER ()::int
        FROM memberships m
        WHERE m.connection_id = @c AND m.removed_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM directory_users u WHERE u.connection_id = @c AND u.scim_id = m.member_id AND u.removed_at IS NULL)
          AND NOT EXISTS (SELECT 1 FROM directory_groups g WHERE g.connection_id = @c AND g.scim_id = m.member_id AND g.removed_at IS NULL)
        ORDER BY m.group_id, m.member_id
        LIMIT @limit
        """;

    /// <summary>The run's data-quality warnings: how many in all, and the first ones in full. @r, @count, @warnings.</summary>
    public const string RecordWarnings = "UPDATE sync_runs SET warning_count = @count, warnings = @warnings WHERE id = @r";

    /// <summary>
    /// Ends the run and, in the same statement, releases its lease: whoever sees the run finished can start the next.
    /// </summary>
    public const string CompleteRun = """
        UPDATE sync_runs SET status = 'succeeded', finished_at = @finished, pages_read = @pages, resources_read = @resources,
            users_seen = @users_seen, users_added = @users_added, users_changed = @users_changed, users_removed = @users_removed,
            groups_seen = @groups_seen, groups_added = @groups_added, groups_changed = @groups_changed, groups_removed = @groups_removed,
            memberships_seen = @memberships_seen, memberships_added = @memberships_added, memberships_removed = @memberships_removed,
            change_events = @change_events
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
        UPDATE sync_runs SET status = @status, finished_at = @t, pages_read = @pages, resources_read = @resources, error = @error
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

    // Leases. A connection's lease (lease_owner, lease_expires_at) is the one lock on its syncs, taken the same way by a
    // manual start and by the scheduler, renewed while the sync runs and released at its end.

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
    public const string OpenRun = """
        UPDATE sync_runs SET status = 'abandoned', finished_at = @t,
            error = 'The replica running this sync stopped answering; its lease expired.'
        WHERE connection_id = @c AND status = 'running';
        INSERT INTO sync_runs (id, connection_id, trigger, status, started_at, owner, pages_read, resources_read,
            users_seen, users_added, users_changed, users_removed, groups_seen, groups_added, groups_changed, groups_removed,
            memberships_seen, memberships_added, memberships_removed, change_events)
        VALUES (@r, @c, @trigger, 'running', @t, @owner, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
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

    /// <summary>Why a run was asked to stop (@r); no row or null when nobody asked.</summary>
    public const string CancelReason = "SELECT cancel_reason FROM sync_runs WHERE id = @r";

    /// <summary>
    /// Deleted connections (@c, or all when null) that no sync holds any more lose their rows, through ON DELETE CASCADE.
    /// A connection whose row an open sync transaction still references is skipped, never waited for: a later sweep takes it.
    /// </summary>
    public const string PurgeDeleted = """
        DELETE FROM connections WHERE id IN (
            SELECT c.id FROM connections c
            WHERE c.deleted_at IS NOT NULL AND (@c::uuid IS NULL OR c.id = @c::uuid)
                AND (c.lease_owner IS NULL OR c.lease_expires_at < @t)
                AND NOT EXISTS (SELECT 1 FROM sync_runs r WHERE r.connection_id = c.id AND r.status = 'running')
            FOR UPDATE SKIP LOCKED)
        RETURNING id, tenant_id
        """;

    /// <summary>Whether the connection is gone or deleted. @c.</summary>
    public const string ConnectionDeleted = "SELECT NOT EXISTS (SELECT 1 FROM connections WHERE id = @c AND deleted_at IS NULL)";

    public const string ReleaseLease = "UPDATE connections SET lease_owner = NULL, lease_expires_at = NULL WHERE id = @c AND lease_owner = @owner";
}
