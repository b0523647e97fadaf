namespace OnePasswordConnector.Sync;

/// <summary>
/// The sync hot path in SQL. A sync streams the bridge into session temp tables with binary COPY (the rows' writers,
/// <see cref="UserRows"/>, <see cref="GroupRows"/>, <see cref="MemberRows"/>, hold their COPY statements), then one
/// transaction diffs them against the current tables: new and changed rows are upserted (their old state moved to
/// history), rows the complete enumeration did not see are marked removed, and every difference becomes a change event.
/// Parameters: @c connection, @r run, @t the sync's instant, @prev the previous successful sync's instant.
/// </summary>
internal static class MergeSql
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

    public const string DropStaging = "DROP TABLE IF EXISTS stage_users, stage_groups, stage_members, stage_removed";

    /// <summary>Planner statistics for the staged rows, so the diff joins pick hash joins at any size.</summary>
    public const string AnalyzeStaging = "ANALYZE stage_users; ANALYZE stage_groups; ANALYZE stage_members; ANALYZE stage_removed;";

    /// <summary>Inside a baseline's transaction: its checks, and the next sync's diff, are planned on real row counts.</summary>
    public const string AnalyzeDirectory = "ANALYZE directory_users; ANALYZE directory_groups; ANALYZE memberships;";

    /// <summary>A merge's result: how many rows of the diff were added and changed, and how many went.</summary>
    private static string Counts(string diff, string removedKind) => $"""
        SELECT count(*) FILTER (WHERE is_new OR was_removed)::int, count(*) FILTER (WHERE NOT is_new AND NOT was_removed)::int,
            (SELECT count(*)::int FROM change_events WHERE sync_run_id = @r AND kind = '{removedKind}')
        FROM {diff};
        """;

    public static readonly string MergeUsers = $"""
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

        {Counts("user_diff", "user_removed")}
        """;

    public static readonly string MergeGroups = $"""
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

        {Counts("group_diff", "group_removed")}
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
}
